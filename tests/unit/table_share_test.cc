// The table builder shares work across devices (memoized filters and
// source sets). These tests check that sharing never changes a table: on
// random tailnets and policies (deny rules, autogroup:self, via, routes,
// exit nodes, protocols), one Builder used for every device, in a random
// order and twice over, gives exactly the table a fresh Builder gives for
// that device alone; and the tables still agree with decide().
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "compiler/back/table.h"
#include "compiler/back/table_build.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"
#include "compiler/ir/evaluate.h"

using namespace aclc;

namespace {

struct Random {
  std::mt19937_64 rng;
  size_t below(size_t n) { return static_cast<size_t>(rng() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
};

std::string q(const std::string& s) { return "\"" + s + "\""; }

std::string list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + q(v[i]);
  return out + "]";
}

// Devices with adjacent addresses (so source sets merge into ranges),
// users owning several devices, tags shared by several devices, two
// routers and an exit node.
std::string random_devices(Random& r, size_t n) {
  std::string out = R"({"users": [)";
  for (int u = 0; u < 6; ++u) out += std::string(u ? ", " : "") + R"({"name": "u)" + std::to_string(u) +
                                     R"(", "email": "u)" + std::to_string(u) + R"(@example.com"})";
  out += R"(], "devices": [)";
  for (size_t d = 0; d < n; ++d) {
    std::string v4 = "100.64.0." + std::to_string(10 + d + (d > n / 2 ? 20 : 0));
    std::string v6 = "fd7a:115c:a1e0::" + std::to_string(10 + d);
    std::vector<std::string> addrs = {v4};
    if (r.chance(70)) addrs.push_back(v6);
    std::string dev = R"({"hostname": "d)" + std::to_string(d) + R"(", "addresses": )" + list(addrs);
    if (d == 0 || d == 1) {
      std::string route = "10." + std::to_string(d + 1) + ".0.0/16";
      dev += R"(, "tags": ["tag:router"], "advertisedRoutes": [")" + route + R"("], "enabledRoutes": [")" +
             route + R"("])";
    } else if (d == 2) {
      dev += R"(, "tags": ["tag:exit"], "advertisedRoutes": ["0.0.0.0/0", "::/0"],)"
             R"( "enabledRoutes": ["0.0.0.0/0", "::/0"])";
    } else if (r.chance(35)) {
      std::vector<std::string> tags = {"tag:t" + std::to_string(r.below(4))};
      if (r.chance(20)) tags.push_back("tag:t" + std::to_string(4 + r.below(2)));
      dev += R"(, "tags": )" + list(tags);
    } else {
      dev += R"(, "user": "u)" + std::to_string(r.below(6)) + R"(@example.com")";
    }
    out += (d ? ", " : "") + dev + "}";
  }
  return out + "]}";
}

std::string identity_source(Random& r) {
  switch (r.below(3)) {
    case 0: return "autogroup:member";
    case 1: return "group:g" + std::to_string(r.below(3));
    default: return "u" + std::to_string(r.below(6)) + "@example.com";
  }
}

std::string source(Random& r) {
  switch (r.below(8)) {
    case 0: return "*";
    case 1: return "autogroup:tagged";
    case 2: return "tag:t" + std::to_string(r.below(6));
    case 3: return "100.64.0." + std::to_string(r.below(4) * 8) + "/29";
    case 4: return "10.1.0.0/24";
    default: return identity_source(r);
  }
}

std::string target(Random& r) {
  switch (r.below(8)) {
    case 0: return "*";
    case 1: return "tag:t" + std::to_string(r.below(6));
    case 2: return "group:g" + std::to_string(r.below(3));
    case 3: return "u" + std::to_string(r.below(6)) + "@example.com";
    case 4: return "10." + std::to_string(1 + r.below(2)) + ".0.0/" + std::to_string(16 + 8 * r.below(2));
    case 5: return "autogroup:internet";
    case 6: return "100.64.0.0/26";
    default: return "tag:router";
  }
}

std::string ports(Random& r) {
  const char* forms[] = {"*", "22", "80,443", "1000-2000", "22-23", "443", "53", "1-1024"};
  return forms[r.below(std::size(forms))];
}

std::string random_policy(Random& r) {
  std::string acls, grants;
  size_t n_acls = 4 + r.below(10);
  for (size_t i = 0; i < n_acls; ++i) {
    bool deny = r.chance(25);
    bool self = r.chance(20);
    std::vector<std::string> src, dst;
    size_t n_src = 1 + r.below(2);
    for (size_t k = 0; k < n_src; ++k) src.push_back(self ? identity_source(r) : source(r));
    size_t n_dst = 1 + r.below(2);
    for (size_t k = 0; k < n_dst; ++k) dst.push_back((self ? "autogroup:self" : target(r)) + ":" + ports(r));
    std::sort(src.begin(), src.end());
    src.erase(std::unique(src.begin(), src.end()), src.end());
    std::sort(dst.begin(), dst.end());
    dst.erase(std::unique(dst.begin(), dst.end()), dst.end());
    std::string rule = R"({"action": ")" + std::string(deny ? "deny" : "accept") + R"(", "src": )" + list(src) +
                       R"(, "dst": )" + list(dst);
    if (r.chance(20)) rule += std::string(R"(, "proto": ")") + (r.chance(50) ? "tcp" : "udp") + "\"";
    acls += (i ? ",\n" : "") + rule + "}";
  }
  size_t n_grants = r.below(4);
  for (size_t i = 0; i < n_grants; ++i) {
    bool via = r.chance(40);
    std::string dst = via ? "10." + std::to_string(1 + r.below(2)) + ".0.0/16" : target(r);
    std::string g = R"({"src": [")" + source(r) + R"("], "dst": [")" + dst + R"("], "ip": ["tcp:22", "udp:53"])";
    if (via) g += R"(, "via": ["tag:router"])";
    grants += (i ? ",\n" : "") + g + "}";
  }
  return R"({
    "groups": {"group:g0": ["u0@example.com", "u1@example.com"], "group:g1": ["u2@example.com"],
               "group:g2": ["u3@example.com", "u4@example.com", "u5@example.com"]},
    "tagOwners": {"tag:t0": [], "tag:t1": [], "tag:t2": [], "tag:t3": [], "tag:t4": [], "tag:t5": [],
                  "tag:router": [], "tag:exit": []},
    "acls": [)" + acls + R"(],
    "grants": [)" + grants + "]}";
}

}  // namespace

TEST_CASE("table sharing: one Builder for every device equals a fresh Builder per device") {
  Random r{std::mt19937_64(20261125)};
  size_t tailnets = 0, tables = 0, nonempty = 0;
  for (int round = 0; round < 40; ++round) {
    std::string devices = random_devices(r, 24 + r.below(16));
    std::string policy = random_policy(r);
    CAPTURE(policy);
    Diagnostics d;
    auto inv = parse_inventory(devices, "devices.json", d);
    REQUIRE(inv);
    policy::LoadOptions opts;
    auto pol = policy::parse_policy(policy, "policy.hujson", opts, d);
    REQUIRE(pol);
    const Diagnostic* e = d.first_error();
    REQUIRE_MESSAGE(e == nullptr, (e ? e->message : ""));
    ir::Program prog = lower(*pol, *inv);
    ir::Evaluator ev(prog, *inv);

    std::vector<size_t> order(inv->devices.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    table::Builder shared(prog, *inv);
    for (int pass = 0; pass < 2; ++pass) {
      std::shuffle(order.begin(), order.end(), r.rng);
      for (size_t n : order) {
        table::Table got = shared.for_device(n);
        table::Table want = table::Builder(prog, *inv).for_device(n);
        REQUIRE_MESSAGE(got == want, inv->devices[n].hostname << " (pass " << pass << ")\nshared:\n"
                                                              << table::to_text(got) << "alone:\n"
                                                              << table::to_text(want));
        ++tables;
        nonempty += !got.empty();
        // And against the reference, on the device's own addresses.
        if (pass == 1) continue;
        for (const Device& src : inv->devices) {
          for (const Addr& s : src.addresses) {
            for (const Addr& dst : inv->devices[n].addresses) {
              for (uint16_t port : {uint16_t(22), uint16_t(53), uint16_t(443), uint16_t(1500)}) {
                uint8_t proto = r.chance(50) ? 6 : 17;
                bool want_allow = s.family == dst.family &&
                                  ev.decide(ir::Flow{s, dst, proto, port}).verdict == ir::Verdict::Allow;
                REQUIRE(got.allows(s, dst, proto, port) == want_allow);
              }
            }
          }
        }
      }
    }
    ++tailnets;
  }
  CHECK(tailnets == 40);
  CHECK(nonempty > tables / 3);
}
