#include <doctest/doctest.h>

#include "compiler/ir/evaluate.h"
#include "tests/unit/lower_fixture.h"

using namespace aclc;
using namespace aclc::testing;

namespace {

ir::Flow flow(const char* src, const char* dst, uint8_t proto, uint16_t port) {
  return ir::Flow{*parse_addr(src), *parse_addr(dst), proto, port};
}

constexpr uint8_t kTcp = 6, kUdp = 17, kSctp = 132;

}  // namespace

TEST_CASE("decide: accept-only policies allow iff some rule matches") {
  Lowered l = lower_text(policy_with(R"("acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["*"], "proto": "udp", "dst": ["db:53"]},
    {"action": "accept", "src": ["alice@example.com"], "dst": ["tag:web:22,80"]}])"));
  ir::Evaluator ev(l.prog, l.inv);
  // alice's laptop to web1:22: the first matching rule decides.
  auto d = ev.decide(flow("100.64.0.10", "100.64.0.1", kTcp, 22));
  CHECK(d.verdict == ir::Verdict::Allow);
  REQUIRE(d.rule);
  CHECK(d.rule->index == 0);
  CHECK(ev.matching_rules(flow("100.64.0.10", "100.64.0.1", kTcp, 22)).size() == 2);
  // Port 80 only through the third rule.
  d = ev.decide(flow("100.64.0.10", "fd7a:115c:a1e0::1", kTcp, 80));
  CHECK(d.verdict == ir::Verdict::Allow);
  CHECK(d.rule->index == 2);
  // bob may not reach port 80; nothing matches.
  d = ev.decide(flow("100.64.0.20", "100.64.0.1", kTcp, 80));
  CHECK(d.verdict == ir::Verdict::Deny);
  CHECK(d.rule == nullptr);
  // Default protocols exclude SCTP; an explicit proto excludes the others.
  CHECK(ev.decide(flow("100.64.0.20", "100.64.0.1", kSctp, 22)).verdict == ir::Verdict::Deny);
  CHECK(ev.decide(flow("100.64.0.30", "10.9.0.5", kUdp, 53)).verdict == ir::Verdict::Allow);
  CHECK(ev.decide(flow("100.64.0.30", "10.9.0.5", kTcp, 53)).verdict == ir::Verdict::Deny);
  // "*" as a source includes approved subnet routes, not arbitrary addresses.
  CHECK(ev.decide(flow("10.1.2.3", "10.9.0.5", kUdp, 53)).verdict == ir::Verdict::Allow);
  CHECK(ev.decide(flow("192.0.2.1", "10.9.0.5", kUdp, 53)).verdict == ir::Verdict::Deny);
  // A tagged device is not its user's: web2 (tagged, user alice) is no source.
  CHECK(ev.decide(flow("100.64.0.2", "100.64.0.1", kTcp, 22)).verdict == ir::Verdict::Deny);
}

TEST_CASE("decide: deny rules are first-match over acls") {
  Lowered l = lower_text(policy_with(R"("acls": [
    {"action": "accept", "src": ["alice@example.com"], "dst": ["web1:22"]},
    {"action": "deny", "src": ["group:eng"], "dst": ["tag:web:*"]},
    {"action": "accept", "src": ["*"], "dst": ["*:*"]}],
    "grants": [{"src": ["bob@example.org"], "dst": ["tag:web"], "ip": ["tcp:443"]},
               {"src": ["bob@example.org"], "dst": ["tag:router"], "ip": ["tcp:443"]}])"));
  ir::Evaluator ev(l.prog, l.inv);
  // An accept before the deny wins.
  auto d = ev.decide(flow("100.64.0.10", "100.64.0.1", kTcp, 22));
  CHECK(d.verdict == ir::Verdict::Allow);
  CHECK(d.rule->origin == ir::Origin::Acl);
  CHECK(d.rule->index == 0);
  // The deny shadows the later allow-all for group members.
  d = ev.decide(flow("100.64.0.10", "100.64.0.1", kTcp, 80));
  CHECK(d.verdict == ir::Verdict::Deny);
  CHECK(d.rule->index == 1);
  // ... and a grant cannot undo an acl deny.
  d = ev.decide(flow("100.64.0.20", "100.64.0.2", kTcp, 443));
  CHECK(d.verdict == ir::Verdict::Deny);
  CHECK(d.rule->action == ir::Action::Deny);
  // Outside the deny the allow-all decides.
  d = ev.decide(flow("100.64.0.30", "100.64.0.1", kTcp, 80));
  CHECK(d.verdict == ir::Verdict::Allow);
  CHECK(d.rule->index == 2);
  // No acl matches (an SCTP flow is outside every acl's default protocols):
  // the grants decide.
  Lowered g = lower_text(policy_with(R"("acls": [
    {"action": "deny", "src": ["group:eng"], "dst": ["tag:web:*"]}],
    "grants": [{"src": ["bob@example.org"], "dst": ["tag:router"], "ip": ["sctp:9"]}])"));
  ir::Evaluator ev2(g.prog, g.inv);
  d = ev2.decide(flow("100.64.0.20", "100.64.0.30", kSctp, 9));
  CHECK(d.verdict == ir::Verdict::Allow);
  CHECK(d.rule->origin == ir::Origin::Grant);
  CHECK(ev2.decide(flow("100.64.0.20", "100.64.0.30", kSctp, 10)).verdict == ir::Verdict::Deny);
}

TEST_CASE("decide: autogroup:self pairs a user's own untagged devices") {
  Lowered l = lower_text(policy_with(
      R"("acls": [{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}])"));
  ir::Evaluator ev(l.prog, l.inv);
  CHECK(ev.decide(flow("100.64.0.10", "100.64.0.11", kTcp, 22)).verdict == ir::Verdict::Allow);
  CHECK(ev.decide(flow("fd7a:115c:a1e0::a", "100.64.0.11", kTcp, 22)).verdict == ir::Verdict::Allow);
  CHECK(ev.decide(flow("100.64.0.20", "100.64.0.11", kTcp, 22)).verdict == ir::Verdict::Deny);
  // web2 is tagged: not alice's for self, either side.
  CHECK(ev.decide(flow("100.64.0.10", "100.64.0.2", kTcp, 22)).verdict == ir::Verdict::Deny);
  CHECK(ev.decide(flow("100.64.0.2", "100.64.0.10", kTcp, 22)).verdict == ir::Verdict::Deny);
}

TEST_CASE("decide: via, capabilities, allow-all") {
  Lowered l = lower_text(policy_with(R"("grants": [
    {"src": ["bob@example.org"], "dst": ["10.0.0.0/8"], "ip": ["*"], "via": ["tag:router"]},
    {"src": ["*"], "dst": ["*"], "app": {"example.com/cap/x": [{}]}}])"));
  ir::Evaluator ev(l.prog, l.inv);
  // Only where a via router routes.
  CHECK(ev.decide(flow("100.64.0.20", "10.1.0.9", kTcp, 22)).verdict == ir::Verdict::Allow);
  CHECK(ev.decide(flow("100.64.0.20", "10.2.0.9", kTcp, 22)).verdict == ir::Verdict::Deny);
  // The app grant carries no packets.
  CHECK(ev.decide(flow("100.64.0.10", "100.64.0.1", kTcp, 22)).verdict == ir::Verdict::Deny);

  Lowered all = lower_text(R"({})");
  ir::Evaluator ev_all(all.prog, all.inv);
  auto d = ev_all.decide(flow("100.64.0.10", "100.64.0.1", kSctp, 1));
  CHECK(d.verdict == ir::Verdict::Deny);  // default protocols only
  d = ev_all.decide(flow("100.64.0.10", "100.64.0.1", kUdp, 1));
  CHECK(d.verdict == ir::Verdict::Allow);
  CHECK(d.rule->origin == ir::Origin::Default);
}
