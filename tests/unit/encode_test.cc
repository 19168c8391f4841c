#include <doctest/doctest.h>

#include <random>

#include "compiler/ir/evaluate.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/encode.h"

using namespace aclc;
using namespace aclc::testing;
using aclc::verify::Answer;
using aclc::verify::Encoding;
using aclc::verify::Scope;
using aclc::verify::Side;

namespace {

const char* kRules = R"("acls": [
    {"action": "accept", "src": ["alice@example.com"], "dst": ["web1:22"]},
    {"action": "deny", "src": ["group:eng"], "dst": ["tag:web:*"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
    {"action": "accept", "src": ["tag:web"], "proto": "udp", "dst": ["db:53", "lan:1000-2000"]},
    {"action": "accept", "src": ["*"], "dst": ["tag:db:5432", "ipset:office:443"]}],
    "grants": [{"src": ["bob@example.org"], "dst": ["tag:web"], "ip": ["tcp:443", "udp:443"]},
               {"src": ["group:eng"], "dst": ["autogroup:internet"], "ip": ["*"],
                "via": ["tag:exit"]}])";

// Addresses worth probing: every device, routes, hosts, and strangers.
std::vector<Addr> probe_addresses(const Inventory& inv) {
  std::vector<Addr> out;
  for (const Device& d : inv.devices) out.insert(out.end(), d.addresses.begin(), d.addresses.end());
  for (const char* s : {"10.9.0.5", "10.1.0.7", "10.2.3.4", "8.8.8.8", "100.64.0.99",
                        "fd7a:115c:a1e0::99", "2001:db8::1"}) {
    out.push_back(*parse_addr(s));
  }
  return out;
}

// Z3's verdict on one concrete flow.
bool z3_allows(const Encoding& enc, z3::solver& s, const ir::Flow& f) {
  z3::expr_vector a(enc.ctx());
  a.push_back(enc.is_flow(f));
  Answer ans = verify::check(s, a);
  REQUIRE(ans != Answer::Unknown);
  return ans == Answer::Sat;
}

}  // namespace

TEST_CASE("encode: nodes scope agrees with decide on device, route and stranger flows") {
  Lowered l = lower_text(policy_with(kRules));
  ir::Evaluator ev(l.prog, l.inv);
  z3::context ctx;
  Encoding enc(ctx, l.pol, l.prog, l.inv, Scope::Nodes);
  z3::solver allowed = verify::make_solver(ctx);
  allowed.add(enc.allowed());
  std::vector<Addr> addrs = probe_addresses(l.inv);
  std::mt19937 rng(1);
  const uint16_t ports[] = {22, 53, 443, 1500, 5432, 80};
  const uint8_t protos[] = {6, 17, 1, 132};
  size_t allows = 0, checked = 0;
  for (const Addr& s : addrs) {
    for (const Addr& d : addrs) {
      if (s.family != d.family) continue;
      ir::Flow f{s, d, protos[rng() % 4], ports[rng() % 6]};
      bool want = ev.decide(f).verdict == ir::Verdict::Allow;
      INFO(to_string(f.src), " -> ", to_string(f.dst), " proto ", int(f.proto), " port ", f.port);
      CHECK(z3_allows(enc, allowed, f) == want);
      allows += want;
      ++checked;
    }
  }
  // The sample must exercise both verdicts.
  CHECK(allows > 5);
  CHECK(allows < checked);
}

TEST_CASE("encode: decides() names the evaluator's deciding rule") {
  Lowered l = lower_text(policy_with(kRules));
  ir::Evaluator ev(l.prog, l.inv);
  z3::context ctx;
  Encoding enc(ctx, l.pol, l.prog, l.inv, Scope::Nodes);
  z3::solver s = verify::make_solver(ctx);
  // alice's laptop to web1:22: the accept before the deny decides.
  ir::Flow f{*parse_addr("100.64.0.10"), *parse_addr("100.64.0.1"), 6, 22};
  const ir::Rule* rule = ev.decide(f).rule;
  REQUIRE(rule);
  for (size_t i = 0; i < l.prog.rules.size(); ++i) {
    z3::expr_vector a(ctx);
    a.push_back(enc.is_flow(f));
    a.push_back(enc.decides(i));
    CHECK((verify::check(s, a) == Answer::Sat) == (rule->id == i));
  }
  // alice to web2:80 is denied by the deny rule, which decides it.
  f = ir::Flow{*parse_addr("100.64.0.10"), *parse_addr("100.64.0.2"), 6, 80};
  REQUIRE(ev.decide(f).verdict == ir::Verdict::Deny);
  z3::expr_vector a(ctx);
  a.push_back(enc.is_flow(f));
  a.push_back(enc.decides(ev.decide(f).rule->id));
  a.push_back(!enc.allowed());
  CHECK(verify::check(s, a) == Answer::Sat);
}

TEST_CASE("encode: the symbolic scope with the inventory's identities agrees with decide") {
  Lowered l = lower_text(policy_with(kRules));
  ir::Evaluator ev(l.prog, l.inv);
  z3::context ctx;
  Encoding enc(ctx, l.pol, l.prog, l.inv, Scope::Symbolic);
  z3::solver s = verify::make_solver(ctx);
  s.add(enc.domain());
  s.add(enc.allowed());
  std::vector<Addr> addrs = probe_addresses(l.inv);
  size_t checked = 0;
  for (const Addr& src : addrs) {
    for (const Addr& dst : addrs) {
      if (src.family != dst.family) continue;
      // Via rules are not route-restricted in the symbolic scope.
      if (l.inv.device_at(dst) < 0 && !l.inv.approved_subnet_routes().empty() &&
          IPSet::internet().contains(dst)) {
        continue;
      }
      for (uint16_t port : {22, 443, 5432}) {
        ir::Flow f{src, dst, 6, port};
        int si = l.inv.device_at(src), di = l.inv.device_at(dst);
        const Device* sd = si < 0 ? nullptr : &l.inv.devices[static_cast<size_t>(si)];
        const Device* dd = di < 0 ? nullptr : &l.inv.devices[static_cast<size_t>(di)];
        z3::expr_vector a(ctx);
        a.push_back(enc.is_flow(f));
        a.push_back(enc.has_identity_of(Side::Src, sd));
        a.push_back(enc.has_identity_of(Side::Dst, dd));
        bool want = ev.decide(f).verdict == ir::Verdict::Allow;
        INFO(to_string(f.src), " -> ", to_string(f.dst), ":", f.port);
        CHECK((verify::check(s, a) == Answer::Sat) == want);

        ++checked;
      }
    }
  }
  CHECK(checked > 100);
}

TEST_CASE("encode: the symbolic scope covers devices that could join") {
  Lowered l = lower_text(policy_with(R"("acls": [
    {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432"]}])"));
  z3::context ctx;
  z3::expr_vector a(ctx);
  // On the inventory no tag:web device reaches bob's laptop; a device that
  // joins with tag:db at a new address can be reached.
  for (Scope scope : {Scope::Nodes, Scope::Symbolic}) {
    Encoding enc(ctx, l.pol, l.prog, l.inv, scope);
    z3::solver s = verify::make_solver(ctx);
    s.add(enc.domain());
    s.add(enc.allowed());
    s.add(enc.in_set(IPSet::tailnet_all() - l.inv.devices[3].address_set() -
                         l.inv.devices[1].address_set(),
                     Side::Dst));
    CHECK(verify::check(s) == (scope == Scope::Nodes ? Answer::Unsat : Answer::Sat));
    if (scope == Scope::Symbolic) {
      REQUIRE(verify::check(s) == Answer::Sat);
      verify::Identity id = enc.identity(s.get_model(), Side::Dst);
      CHECK(id.device);
      CHECK(id.tagged);
      CHECK(std::find(id.tags.begin(), id.tags.end(), "tag:db") != id.tags.end());
      CHECK(enc.flow(s.get_model()).port == 5432);
    }
  }
}

TEST_CASE("encode: a tight resource limit gives unknown, never an answer") {
  Lowered l = lower_text(policy_with(kRules));
  z3::context ctx;
  Encoding enc(ctx, l.pol, l.prog, l.inv, Scope::Symbolic);
  z3::solver s = verify::make_solver(ctx, 1);
  s.add(enc.domain());
  s.add(enc.allowed());
  CHECK(verify::check(s) == Answer::Unknown);
}
