// The policy printer: its output parses back to a policy that means the
// same (same filters on every device), and printing is a fixed point.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "compiler/back/policy_print.h"
#include "compiler/back/tailcfg.h"
#include "tests/unit/lower_fixture.h"

using namespace aclc;
using aclc::testing::lower_text;
using aclc::testing::policy_with;

namespace {

std::string filters(const testing::Lowered& l) {
  tailcfg::Compiler c(l.prog, l.inv);
  return tailcfg::to_json_all(c, l.inv);
}

void check_round_trip(const std::string& text) {
  auto a = lower_text(text);
  std::string printed = policy::print_policy(a.pol);
  auto b = lower_text(printed);
  CHECK(filters(a) == filters(b));
  CHECK(b.prog.rules.size() == a.prog.rules.size());
  CHECK(b.pol.acls.size() == a.pol.acls.size());
  CHECK(b.pol.grants.size() == a.pol.grants.size());
  CHECK(b.pol.ssh.size() == a.pol.ssh.size());
  CHECK(b.pol.tests.size() == a.pol.tests.size());
  CHECK(b.pol.has_acls == a.pol.has_acls);
  CHECK(b.pol.has_grants == a.pol.has_grants);
  // A fixed point: the printer loses nothing it prints.
  CHECK(policy::print_policy(b.pol) == printed);
}

}  // namespace

TEST_CASE("policy print: rules, definitions and tests survive a round trip") {
  check_round_trip(policy_with(R"(
  "acls": [
    {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["group:eng", "10.0.0.0/8"], "proto": "tcp",
     "dst": ["tag:web:22,80-443", "lan:*", "[fd7a:115c:a1e0::1]:22"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
    {"action": "accept", "src": ["ipset:office"], "dst": ["db:5432", "autogroup:internet:443"]}
  ],
  "grants": [
    {"src": ["tag:router"], "dst": ["tag:db"], "ip": ["udp:53", "tcp:53", "8000-8100"]},
    {"src": ["group:eng"], "dst": ["tag:web"], "app": {"example.com/cap/x": [{"k": [1, 2.5, true, null, "s\"q"]}]}},
    {"src": ["autogroup:member"], "dst": ["autogroup:internet"], "ip": ["*"], "via": ["tag:exit"]}
  ],
  "ssh": [{"action": "check", "src": ["group:eng"], "dst": ["tag:web"], "users": ["root", "autogroup:nonroot"],
           "checkPeriod": "12h"}],
  "autoApprovers": {"routes": {"10.1.0.0/16": ["tag:router"]}, "exitNode": ["tag:exit"]},
  "nodeAttrs": [{"target": ["*"], "attr": ["funnel"]}],
  "tests": [{"src": "alice@example.com", "proto": "tcp", "accept": ["tag:web:80"], "deny": ["tag:web:22"]}],
  "sshTests": [{"src": "alice@example.com", "dst": ["tag:web"], "check": ["root"]}],
  "randomizeClientPort": true)"));
}

TEST_CASE("policy print: an empty acls list stays (it denies everything)") {
  check_round_trip(policy_with(R"("acls": [])"));
  auto l = lower_text(policy_with(R"("acls": [])"));
  std::string printed = policy::print_policy(l.pol);
  CHECK(printed.find("\"acls\": []") != std::string::npos);
  // And no acls or grants at all (allow-all) prints neither.
  auto all = lower_text(R"({"tagOwners": {"tag:web": []}})");
  std::string p2 = policy::print_policy(all.pol);
  CHECK(p2.find("acls") == std::string::npos);
  CHECK(p2.find("grants") == std::string::npos);
}

TEST_CASE("policy print: the seed policy, device names and deny included") {
  std::ifstream in(std::string(ACLC_SOURCE_DIR) + "/examples/seed-mesh/policy.hujson");
  std::stringstream ss;
  ss << in.rdbuf();
  Diagnostics d;
  auto pol = policy::parse_policy(ss.str(), "policy.hujson", policy::LoadOptions{}, d);
  REQUIRE(pol);
  std::string printed = policy::print_policy(*pol, {"line one\nline two"});
  CHECK(printed.rfind("// line one\n// line two\n{", 0) == 0);
  auto again = policy::parse_policy(printed, "printed.hujson", policy::LoadOptions{}, d);
  REQUIRE(again);
  CHECK_FALSE(d.has_errors());
  REQUIRE(again->acls.size() == pol->acls.size());
  for (size_t i = 0; i < pol->acls.size(); ++i) {
    CHECK(again->acls[i].action == pol->acls[i].action);
    CHECK(again->acls[i].dst.size() == pol->acls[i].dst.size());
  }
  CHECK(policy::print_policy(*again, {"line one\nline two"}) == printed);
}

TEST_CASE("policy print: strings are escaped") {
  hujson::Value v = hujson::parse(R"({"a\"b": ["x\\y", "\n", "\u0001"]})");
  std::string json = policy::value_json(v);
  CHECK(json == R"({"a\"b":["x\\y","\n","\u0001"]})");
  CHECK(policy::value_json(hujson::parse(json)) == json);
}
