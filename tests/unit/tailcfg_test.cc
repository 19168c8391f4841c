#include <doctest/doctest.h>

#include <random>
#include <set>
#include <sstream>

#include "compiler/back/tailcfg.h"
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

// Every node that owns or enforces `dst`: its addresses, approved subnet
// routes, or (exit nodes) the internet.
std::vector<size_t> enforcers(const Inventory& inv, const Addr& dst) {
  std::vector<size_t> out;
  IPSet internet = IPSet::internet();
  for (size_t i = 0; i < inv.devices.size(); ++i) {
    const Device& d = inv.devices[i];
    bool yes = d.address_set().contains(dst);
    for (const Prefix& p : d.subnet_routes()) yes = yes || p.contains(dst);
    yes = yes || (d.is_exit_node() && internet.contains(dst));
    if (yes) out.push_back(i);
  }
  return out;
}

// Random flows towards addresses some node enforces; checks that decide()
// allows exactly when a compiled filter of an enforcing node admits.
// Returns the number of allowed flows seen (so callers can check coverage).
size_t cross_check(const ir::Program& prog, const Inventory& inv, std::mt19937_64& rng,
                   size_t samples, const std::string& label) {
  ir::Evaluator ev(prog, inv);
  tailcfg::Compiler comp(prog, inv);
  std::vector<std::vector<tailcfg::FilterRule>> filters;
  for (size_t i = 0; i < inv.devices.size(); ++i) filters.push_back(comp.for_node(i));

  // Sources: device addresses, route addresses, the tailnet range, anything.
  IPSet dsts, srcs = IPSet::tailnet_all();
  for (const Device& d : inv.devices) {
    dsts |= d.address_set();
    srcs |= d.address_set();
    for (const Prefix& p : d.subnet_routes()) {
      dsts.add(p);
      srcs.add(p);
    }
    if (d.is_exit_node()) dsts |= IPSet::internet();
  }
  std::vector<Addr> node_addrs;
  for (const Device& d : inv.devices)
    for (const Addr& a : d.addresses) node_addrs.push_back(a);
  // Ports the policy names, plus neighbours and random ones.
  std::vector<uint16_t> ports = {0, 1, 65535};
  for (const ir::Rule& r : prog.rules)
    for (const ir::DstGroup& g : r.dst)
      for (const PortRange& p : g.ports) {
        for (int v : {int(p.first) - 1, int(p.first), int(p.last), int(p.last) + 1})
          if (v >= 0 && v <= 65535) ports.push_back(static_cast<uint16_t>(v));
      }
  const uint8_t protos[] = {6, 17, 1, 58, 132, 47};
  size_t allowed = 0;
  for (size_t k = 0; k < samples; ++k) {
    ir::Flow f;
    bool node_src = rng() % 4 != 0 && !node_addrs.empty();
    f.src = node_src ? node_addrs[rng() % node_addrs.size()]
                     : (rng() % 3 == 0 ? random_in(IPSet::all_addresses(), rng) : random_in(srcs, rng));
    bool node_dst = rng() % 3 != 0 && !node_addrs.empty();
    f.dst = node_dst ? node_addrs[rng() % node_addrs.size()] : random_in(dsts, rng);
    f.proto = protos[rng() % std::size(protos)];
    f.port = rng() % 4 == 0 ? static_cast<uint16_t>(rng()) : ports[rng() % ports.size()];
    bool want = ev.decide(f).verdict == ir::Verdict::Allow;
    bool got = false;
    for (size_t n : enforcers(inv, f.dst)) got = got || filter_admits(filters[n], f);
    if (want != got) {
      FAIL_CHECK(label << ": decide says " << std::string(want ? "allow" : "deny")
                       << " but the compiled filters " << std::string(got ? "admit" : "do not admit") << " "
                       << to_string(f.src) << " -> " << to_string(f.dst) << " proto "
                       << int(f.proto) << " port " << f.port);
      return allowed;
    }
    allowed += want;
  }
  return allowed;
}

}  // namespace

TEST_CASE("tailcfg: wire format, merging and distribution") {
  Lowered l = lower_text(policy_with(R"("acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["*"], "proto": "udp", "dst": ["lan:53"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["web1:22,80"]},
    {"action": "accept", "src": ["bob@example.org"], "dst": ["autogroup:internet:443"]}])"));
  tailcfg::Compiler c(l.prog, l.inv);
  // web1: rules 1 and 3 merge (same SrcIPs, default protocols), DstPorts
  // concatenated without dedup.
  auto web1 = c.for_node(device(l.inv, "web1"));
  REQUIRE(web1.size() == 1);
  CHECK(web1[0].dst_ports.size() == 2 + 4);
  CHECK(tailcfg::to_json(web1) ==
        R"([{"SrcIPs":["100.64.0.10","100.64.0.11","100.64.0.20","fd7a:115c:a1e0::a"],)"
        R"("DstPorts":[{"IP":"100.64.0.1","Ports":{"First":22,"Last":22}},)"
        R"({"IP":"fd7a:115c:a1e0::1","Ports":{"First":22,"Last":22}},)"
        R"({"IP":"100.64.0.1","Ports":{"First":22,"Last":22}},)"
        R"({"IP":"100.64.0.1","Ports":{"First":80,"Last":80}},)"
        R"({"IP":"fd7a:115c:a1e0::1","Ports":{"First":22,"Last":22}},)"
        R"({"IP":"fd7a:115c:a1e0::1","Ports":{"First":80,"Last":80}}]}])");
  // The router enforces the subnet: the prefix whole, with IPProto.
  auto router = c.for_node(device(l.inv, "router"));
  REQUIRE(router.size() == 1);
  CHECK(router[0].dst_ports.size() == 1);
  CHECK(router[0].dst_ports[0].ip == "10.1.0.0/24");
  REQUIRE(router[0].ip_proto.has_value());
  CHECK(*router[0].ip_proto == std::vector<int>{17});
  CHECK(tailcfg::to_json(router).find(R"("IPProto":[17])") != std::string::npos);
  // The exit node gets the internet ranges.
  auto exit = c.for_node(device(l.inv, "exit"));
  REQUIRE(exit.size() == 1);
  CHECK(exit[0].dst_ports.size() == 7);
  // Nodes nothing applies to get nothing.
  CHECK(c.for_node(device(l.inv, "bob")).empty());
  CHECK(tailcfg::to_json(c.for_node(device(l.inv, "bob"))) == "[]");
  // Deterministic, and keyed by hostname in order.
  std::string all = tailcfg::to_json_all(c, l.inv);
  CHECK(all == tailcfg::to_json_all(tailcfg::Compiler(l.prog, l.inv), l.inv));
  std::ostringstream streamed;
  tailcfg::write_json_all(c, l.inv, streamed);
  CHECK(streamed.str() == all);
  CHECK(all.find("\"alaptop\"") < all.find("\"aphone\""));
  CHECK(all.find("\"web1\"") < all.find("\"web2\""));
}

TEST_CASE("tailcfg: self rules and capability grants") {
  Lowered l = lower_text(policy_with(R"(
    "acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}],
    "grants": [{"src": ["*"], "dst": ["tag:web"],
                "app": {"example.com/cap/b": [{"x": 1}], "example.com/cap/a": []}}])"));
  tailcfg::Compiler c(l.prog, l.inv);
  auto aphone = c.for_node(device(l.inv, "aphone"));
  REQUIRE(aphone.size() == 1);
  CHECK(joined(*aphone[0].src_ips) == "100.64.0.10 100.64.0.11 fd7a:115c:a1e0::a");
  CHECK(aphone[0].dst_ports.size() == 1);
  CHECK(c.for_node(device(l.inv, "router")).empty());  // tagged: no self
  auto web2 = c.for_node(device(l.inv, "web2"));
  REQUIRE(web2.size() == 1);
  CHECK(tailcfg::to_json(web2).find(
            R"("CapGrant":[{"Dsts":["100.64.0.2/32"],"CapMap":{"example.com/cap/a":[],"example.com/cap/b":[{"x":1}]}}])") !=
        std::string::npos);
}

TEST_CASE("tailcfg: deny rules flatten to exactly equivalent accept rules") {
  Lowered l = lower_text(policy_with(R"(
    "acls": [
      {"action": "accept", "src": ["alice@example.com"], "dst": ["web1:22"]},
      {"action": "deny", "src": ["group:eng"], "dst": ["tag:web:1-1000"]},
      {"action": "deny", "src": ["100.64.0.0/28"], "proto": "udp", "dst": ["*:53"]},
      {"action": "deny", "src": ["autogroup:member"], "dst": ["autogroup:self:22"]},
      {"action": "accept", "src": ["*"], "dst": ["*:*"]}],
    "grants": [{"src": ["bob@example.org"], "dst": ["tag:web"], "ip": ["tcp:443", "sctp:9"]}])"));
  tailcfg::Compiler c(l.prog, l.inv);
  // Accept-only output: the deny shows only as narrower accepts.
  auto web1 = c.for_node(device(l.inv, "web1"));
  CHECK_FALSE(web1.empty());
  std::mt19937_64 rng(7);
  size_t allowed = cross_check(l.prog, l.inv, rng, 20000, "deny policy");
  CHECK(allowed > 1000);
  // Spot checks through the compiled filter of web1.
  auto at = [&](const char* s, const char* d, uint8_t proto, uint16_t port) {
    return filter_admits(web1, ir::Flow{*parse_addr(s), *parse_addr(d), proto, port});
  };
  CHECK(at("100.64.0.10", "100.64.0.1", 6, 22));       // accept before the deny
  CHECK_FALSE(at("100.64.0.10", "100.64.0.1", 6, 80));  // denied
  CHECK(at("100.64.0.10", "100.64.0.1", 6, 1001));      // past the denied ports
  CHECK(at("100.64.0.30", "100.64.0.1", 6, 80));        // not in group:eng
  CHECK_FALSE(at("100.64.0.20", "100.64.0.1", 6, 443)); // grant, but acl deny wins
}

TEST_CASE("tailcfg: decide() agrees with the compiled filters on every conformance case") {
  std::mt19937_64 rng(20240601);
  size_t cases = 0, allowed = 0;
  for (const auto& path : conformance::case_files({"acl", "grant", "routes"})) {
    std::string err;
    auto c = conformance::load_case(path, &err);
    REQUIRE_MESSAGE(c, err);
    if (c->code != 200 || !c->policy || c->diags.has_errors()) continue;
    ir::Program prog = lower(*c->policy, c->inventory);
    allowed += cross_check(prog, c->inventory, rng, 400, c->id);
    ++cases;
  }
  CHECK(cases > 250);
  CHECK(allowed > 5000);  // the samples exercise allows, not only denies
}
