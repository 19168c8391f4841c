#include <doctest/doctest.h>

#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "compiler/back/table.h"
#include "compiler/back/table_build.h"
#include "compiler/ir/evaluate.h"
#include "tests/conformance/case.h"
#include "tests/unit/filter_match.h"
#include "tests/unit/lower_fixture.h"

using namespace aclc;
using namespace aclc::testing;

namespace {

size_t device(const Inventory& inv, const char* host) {
  return static_cast<size_t>(inv.find_device(host) - inv.devices.data());
}

Addr A(const char* s) { return *parse_addr(s); }

// Addresses around every interval boundary of a set: the points where a
// verdict can change.
void edges(const IPSet& s, std::set<Addr>& out) {
  for (Family f : {Family::V4, Family::V6}) {
    for (const Interval& iv : s.intervals(f)) {
      out.insert(Addr(f, iv.first));
      out.insert(Addr(f, iv.last));
      if (iv.first != 0) out.insert(Addr(f, iv.first - 1));
      if (iv.last != max_raw(f)) out.insert(Addr(f, iv.last + 1));
    }
  }
}

// Every source and destination edge of every rule, every port edge, a set of
// protocols: exhaustive over the verdict's equivalence classes. Checks the
// table of every device against decide() on its enforced addresses, and that
// it allows nothing elsewhere.
size_t brute_force(const ir::Program& prog, const Inventory& inv) {
  ir::Evaluator ev(prog, inv);
  table::Builder b(prog, inv);
  std::set<Addr> points;
  std::set<uint16_t> ports = {0, 1, 65534, 65535};
  for (const ir::Rule& r : prog.rules) {
    edges(r.src, points);
    for (const ir::DstGroup& g : r.dst) {
      for (const ir::Target& t : g.targets) edges(t.addrs, points);
      for (const PortRange& p : g.ports) {
        for (int v : {int(p.first) - 1, int(p.first), int(p.last), int(p.last) + 1})
          if (v >= 0 && v <= 65535) ports.insert(static_cast<uint16_t>(v));
      }
    }
  }
  for (const Device& d : inv.devices) edges(table::enforced_addresses(d), points);
  const uint8_t protos[] = {0, 1, 6, 17, 47, 58, 132, 255};
  size_t allowed = 0, checked = 0;
  for (size_t n = 0; n < inv.devices.size(); ++n) {
    table::Table t = b.for_device(n);
    IPSet domain = table::enforced_addresses(inv.devices[n]);
    for (const Addr& dst : points) {
      bool mine = domain.contains(dst);
      for (const Addr& src : points) {
        if (src.family != dst.family) {
          CHECK_FALSE(t.allows(src, dst, 6, 22));
          continue;
        }
        for (uint8_t proto : protos) {
          for (uint16_t port : ports) {
            bool want = mine && ev.decide(ir::Flow{src, dst, proto, port}).verdict == ir::Verdict::Allow;
            bool got = t.allows(src, dst, proto, port);
            ++checked;
            if (want != got) {
              FAIL_CHECK(inv.devices[n].hostname << ": table " << (got ? "allows" : "denies") << " "
                                                 << to_string(src) << " -> " << to_string(dst) << " proto "
                                                 << int(proto) << " port " << port << "\n"
                                                 << table::to_text(t));
              return allowed;
            }
            allowed += got;
          }
        }
      }
    }
  }
  CHECK(checked > 1000);
  return allowed;
}

// Canonical and minimal: nothing left to merge.
void check_minimal(const table::Table& t, const std::string& label) {
  const auto& zones = t.zones();
  for (size_t i = 0; i < zones.size(); ++i) {
    for (size_t j = i + 1; j < zones.size(); ++j)
      CHECK_MESSAGE(zones[i].classes != zones[j].classes, label << ": two zones with one filter");
    const auto& cls = zones[i].classes;
    for (size_t a = 0; a < cls.size(); ++a) {
      for (size_t b = a + 1; b < cls.size(); ++b)
        CHECK_MESSAGE(cls[a].cells != cls[b].cells, label << ": two classes with one partition");
      for (size_t c = 1; c < cls[a].cells.size(); ++c) {
        const table::Cell& p = cls[a].cells[c - 1];
        const table::Cell& q = cls[a].cells[c];
        CHECK_MESSAGE(!(p.ports.last + 1 == q.ports.first && p.sources == q.sources),
                      label << ": adjacent cells with the same sources");
      }
    }
  }
}

}  // namespace

TEST_CASE("table: shape of a small device table") {
  Lowered l = lower_text(policy_with(R"("acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["web1:23-25,26"]},
    {"action": "accept", "src": ["bob@example.org"], "proto": "udp", "dst": ["web1:53"]},
    {"action": "accept", "src": ["bob@example.org"], "proto": "udp", "dst": ["web1:54"]}])"));
  table::Builder b(l.prog, l.inv);
  table::Table t = b.for_device(device(l.inv, "web1"));
  // One zone: both addresses of web1.
  REQUIRE(t.zones().size() == 1);
  CHECK(t.zones()[0].dsts.to_strings() == std::vector<std::string>{"100.64.0.1", "fd7a:115c:a1e0::1"});
  const auto& cls = t.zones()[0].classes;
  // ICMP/ICMPv6 share 22-26; TCP the same; UDP adds 53-54: TCP and ICMP
  // are one class, UDP another.
  REQUIRE(cls.size() == 2);
  CHECK(cls[0].protos == ProtoSet{1, 6, 58});
  REQUIRE(cls[0].cells.size() == 1);
  CHECK(cls[0].cells[0].ports == PortRange{22, 26});  // 22, 23-25, 26 merged
  // alice's two devices are adjacent addresses: one interval.
  CHECK(cls[0].cells[0].sources.to_strings() ==
        std::vector<std::string>{"100.64.0.10/31", "100.64.0.20", "fd7a:115c:a1e0::a"});
  CHECK(cls[1].protos == ProtoSet{17});
  REQUIRE(cls[1].cells.size() == 2);
  CHECK(cls[1].cells[0].ports == PortRange{22, 26});
  CHECK(cls[1].cells[1].ports == PortRange{53, 54});
  CHECK(cls[1].cells[1].sources.to_strings() == std::vector<std::string>{"100.64.0.20"});
  CHECK(t.allows(A("100.64.0.20"), A("100.64.0.1"), 17, 54));
  CHECK_FALSE(t.allows(A("100.64.0.10"), A("100.64.0.1"), 17, 54));
  CHECK_FALSE(t.allows(A("100.64.0.20"), A("100.64.0.1"), 17, 55));
  CHECK_FALSE(t.allows(A("100.64.0.20"), A("100.64.0.2"), 17, 54));  // not web1's address
  CHECK_FALSE(t.allows(A("100.64.0.20"), A("fd7a:115c:a1e0::1"), 17, 54));  // mixed families
  CHECK(t.allows(A("fd7a:115c:a1e0::a"), A("fd7a:115c:a1e0::1"), 6, 24));
  CHECK(t.source_interval_count() == 3 + 1);  // group:eng's set is stored once
  CHECK(t.index_bytes() > 0);
  check_minimal(t, "web1");
  // A device nothing reaches has an empty table.
  CHECK(b.for_device(device(l.inv, "aphone")).empty());
  CHECK(table::to_text(t).find("zone 100.64.0.1 fd7a:115c:a1e0::1 | proto 17 | ports 53-54 | src 100.64.0.20") !=
        std::string::npos);
}

TEST_CASE("table: routers get a zone per destination with its own filter") {
  Lowered l = lower_text(policy_with(R"("acls": [
    {"action": "accept", "src": ["*"], "proto": "udp", "dst": ["lan:53"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["router:22", "10.1.0.0/16:80"]},
    {"action": "accept", "src": ["bob@example.org"], "dst": ["autogroup:internet:443"]}])"));
  table::Builder b(l.prog, l.inv);
  table::Table r = b.for_device(device(l.inv, "router"));
  // router's own address, 10.1.0.0/24 (lan) and the rest of 10.1/16.
  CHECK(r.zones().size() == 3);
  CHECK(r.allows(A("100.64.0.20"), A("10.1.0.9"), 17, 53));
  CHECK(r.allows(A("100.64.0.20"), A("10.1.0.9"), 6, 80));
  CHECK_FALSE(r.allows(A("100.64.0.20"), A("10.1.1.9"), 17, 53));
  CHECK(r.allows(A("100.64.0.20"), A("10.1.1.9"), 6, 80));
  CHECK(r.allows(A("100.64.0.10"), A("100.64.0.30"), 6, 22));
  CHECK_FALSE(r.allows(A("100.64.0.10"), A("10.2.0.1"), 6, 80));  // not routed here
  table::Table e = b.for_device(device(l.inv, "exit"));
  CHECK(e.allows(A("100.64.0.20"), A("8.8.8.8"), 6, 443));
  CHECK_FALSE(e.allows(A("100.64.0.20"), A("192.168.1.1"), 6, 443));  // not internet
  CHECK_FALSE(e.allows(A("100.64.0.10"), A("8.8.8.8"), 6, 443));
  check_minimal(r, "router");
  check_minimal(e, "exit");
}

TEST_CASE("table: deny rules are flattened with first match over acls") {
  Lowered l = lower_text(policy_with(R"(
    "acls": [
      {"action": "accept", "src": ["alice@example.com"], "dst": ["web1:22"]},
      {"action": "deny", "src": ["group:eng"], "dst": ["tag:web:1-1000"]},
      {"action": "deny", "src": ["100.64.0.0/28"], "proto": "udp", "dst": ["*:53"]},
      {"action": "deny", "src": ["autogroup:member"], "dst": ["autogroup:self:22"]},
      {"action": "accept", "src": ["*"], "dst": ["*:*"]}],
    "grants": [{"src": ["bob@example.org"], "dst": ["tag:web"], "ip": ["tcp:443", "sctp:9"]}])"));
  table::Builder b(l.prog, l.inv);
  table::Table t = b.for_device(device(l.inv, "web1"));
  CHECK(t.allows(A("100.64.0.10"), A("100.64.0.1"), 6, 22));       // accept before the deny
  CHECK_FALSE(t.allows(A("100.64.0.10"), A("100.64.0.1"), 6, 80));  // denied
  CHECK(t.allows(A("100.64.0.10"), A("100.64.0.1"), 6, 1001));      // past the denied ports
  CHECK(t.allows(A("100.64.0.30"), A("100.64.0.1"), 6, 80));        // not in group:eng
  CHECK_FALSE(t.allows(A("100.64.0.20"), A("100.64.0.1"), 6, 443)); // grant, but the acl deny wins
  CHECK(t.allows(A("100.64.0.20"), A("100.64.0.1"), 132, 9));        // grant where acls are silent
  CHECK(brute_force(l.prog, l.inv) > 1000);
}

TEST_CASE("table: brute force against decide() on small policies") {
  const char* policies[] = {
      R"("acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}])",
      R"("acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
                  {"action": "accept", "src": ["tag:web"], "dst": ["tag:web:80,443", "db:5432"]}])",
      R"("grants": [{"src": ["group:eng"], "dst": ["tag:router"], "ip": ["tcp:22", "udp:1000-2000", "icmp:*"]},
                    {"src": ["*"], "dst": ["10.1.2.0/24"], "ip": ["*"], "via": ["tag:router"]}])",
      R"("acls": [{"action": "deny", "src": ["autogroup:member"], "dst": ["autogroup:self:22-23"]},
                  {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
                  {"action": "deny", "src": ["ipset:office"], "dst": ["*:443"]},
                  {"action": "accept", "src": ["10.0.0.0/8", "group:eng"], "dst": ["*:400-500"]}])",
      R"("acls": [{"action": "accept", "src": ["bob@example.org"], "dst": ["autogroup:internet:*"]},
                  {"action": "deny", "src": ["bob@example.org"], "proto": "tcp", "dst": ["exit:*"]},
                  {"action": "accept", "src": ["*"], "dst": ["exit:22"]}])",
  };
  for (const char* p : policies) {
    CAPTURE(p);
    Lowered l = lower_text(policy_with(p));
    brute_force(l.prog, l.inv);
  }
}

// What device n enforces of the policy: decide() is network-wide, but a via
// rule applies only on the routers it names (Tailscale sends it only to
// them), so a router's reference is the program without the via rules of
// tags it does not carry.
ir::Program as_enforced_by(const ir::Program& prog, const Device& d) {
  ir::Program out = prog;
  out.rules.clear();
  for (const ir::Rule& r : prog.rules) {
    bool carries = r.via.empty();
    for (const std::string& t : r.via) carries = carries || d.has_tag(t);
    if (!carries) continue;
    out.rules.push_back(r);
    out.rules.back().id = out.rules.size() - 1;
  }
  return out;
}

TEST_CASE("table: equals decide() on every conformance case, device and random packets") {
  std::mt19937_64 rng(20240602);
  size_t cases = 0, allowed = 0, flows = 0;
  for (const auto& path : conformance::case_files({"acl", "grant", "routes"})) {
    std::string err;
    auto c = conformance::load_case(path, &err);
    REQUIRE_MESSAGE(c, err);
    if (c->code != 200 || !c->policy || c->diags.has_errors()) continue;
    ir::Program prog = lower(*c->policy, c->inventory);
    const Inventory& inv = c->inventory;
    ir::Evaluator ev(prog, inv);
    table::Builder b(prog, inv);
    IPSet srcs = IPSet::tailnet_all();
    std::vector<Addr> node_addrs;
    for (const Device& d : inv.devices) {
      srcs |= table::enforced_addresses(d);
      for (const Addr& a : d.addresses) node_addrs.push_back(a);
    }
    std::vector<uint16_t> ports = {0, 1, 65535};
    for (const ir::Rule& r : prog.rules)
      for (const ir::DstGroup& g : r.dst)
        for (const PortRange& p : g.ports)
          for (int v : {int(p.first) - 1, int(p.first), int(p.last), int(p.last) + 1})
            if (v >= 0 && v <= 65535) ports.push_back(static_cast<uint16_t>(v));
    const uint8_t protos[] = {6, 17, 1, 58, 132, 47};
    bool failed = false;
    bool has_via = false;
    for (const ir::Rule& r : prog.rules) has_via = has_via || !r.via.empty();
    for (size_t n = 0; n < inv.devices.size() && !failed; ++n) {
      table::Table t = b.for_device(n);
      std::optional<ir::Program> own;
      std::optional<ir::Evaluator> own_ev;
      if (has_via) {
        own.emplace(as_enforced_by(prog, inv.devices[n]));
        own_ev.emplace(*own, inv);
      }
      const ir::Evaluator& ref = has_via ? *own_ev : ev;
      check_minimal(t, c->id + " " + inv.devices[n].hostname);
      IPSet domain = table::enforced_addresses(inv.devices[n]);
      for (int k = 0; k < 200; ++k) {
        ir::Flow f;
        f.src = rng() % 2 && !node_addrs.empty() ? node_addrs[rng() % node_addrs.size()]
                                                  : random_in(rng() % 4 ? srcs : IPSet::all_addresses(), rng);
        IPSet fam_domain = domain;
        f.dst = random_in(domain, rng);
        if (rng() % 3 == 0) {
          for (const Addr& a : inv.devices[n].addresses)
            if (a.family == f.src.family) f.dst = a;
        }
        f.proto = protos[rng() % std::size(protos)];
        f.port = rng() % 4 == 0 ? static_cast<uint16_t>(rng()) : ports[rng() % ports.size()];
        bool want = f.src.family == f.dst.family && ref.decide(f).verdict == ir::Verdict::Allow;
        bool got = t.allows(f.src, f.dst, f.proto, f.port);
        ++flows;
        if (want != got) {
          FAIL_CHECK(c->id << " " << inv.devices[n].hostname << ": decide " << (want ? "allows" : "denies")
                           << " but the table " << (got ? "allows " : "denies ") << to_string(f.src) << " -> "
                           << to_string(f.dst) << " proto " << int(f.proto) << " port " << f.port);
          failed = true;
          break;
        }
        allowed += got;
      }
    }
    ++cases;
  }
  CHECK(cases > 250);
  CHECK(flows > 100000);
  CHECK(allowed > 5000);
}

TEST_CASE("table: a malformed structure is rejected with a reason") {
  IPSet one;
  one.add(A("100.64.0.1"));
  table::Cell cell{PortRange{22, 22}, one};
  auto zone = [&](std::vector<table::Cell> cells, ProtoSet protos = ProtoSet{6}) {
    return table::Zone{one, {table::ProtoClass{protos, std::move(cells)}}};
  };
  CHECK_NOTHROW(table::Table({zone({cell})}));
  CHECK_THROWS_WITH_AS(table::Table({zone({cell}), zone({cell})}), "table: zone 1 overlaps an earlier zone",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(table::Table({zone({cell, cell})}), "table: zone 0 class 0 cell 1 is not after the previous cell",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(table::Table({zone({table::Cell{PortRange{9, 8}, one}})}),
                       "table: zone 0 class 0 cell 0 has an empty port range", std::invalid_argument);
  CHECK_THROWS_WITH_AS(table::Table({zone({table::Cell{PortRange{1, 2}, IPSet()}})}),
                       "table: zone 0 class 0 cell 0 has no sources", std::invalid_argument);
  CHECK_THROWS_WITH_AS(table::Table({zone({cell}, ProtoSet())}), "table: zone 0 class 0 has no protocols",
                       std::invalid_argument);
  table::Zone two = zone({cell});
  two.classes.push_back(two.classes[0]);
  CHECK_THROWS_WITH_AS(table::Table({two}), "table: zone 0 class 1 repeats a protocol of an earlier class",
                       std::invalid_argument);
  // Copies and moves keep the verdicts; a moved-from table allows nothing.
  table::Table t({zone({cell})});
  table::Table u = t;
  CHECK(u == t);
  CHECK(u.allows(A("100.64.0.1"), A("100.64.0.1"), 6, 22));
  table::Table v = std::move(t);
  CHECK(v.allows(A("100.64.0.1"), A("100.64.0.1"), 6, 22));
  CHECK_FALSE(t.allows(A("100.64.0.1"), A("100.64.0.1"), 6, 22));  // NOLINT(bugprone-use-after-move)
  CHECK_FALSE(table::Table().allows(A("100.64.0.1"), A("100.64.0.1"), 6, 22));
}
