// The sshTests runner: lowering (front/lower_tests.h) plus the client-side
// evaluation (verifier/ssh_tests.h), one rule of tailscale-policy.md §6.2 at
// a time.
#include <doctest/doctest.h>

#include <string>

#include "compiler/front/lower_ssh.h"
#include "compiler/front/lower_tests.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/ssh_tests.h"
#include "verifier/test_failure_body.h"

using namespace aclc;
using aclc::testing::lower_text;
using aclc::testing::policy_with;

namespace {

struct Run {
  aclc::testing::Lowered l;
  ir::SshProgram prog;  // failures point into it
  verify::SshTestReport report;
};

Run run(const std::string& ssh, const std::string& tests, const std::string& acls = "[]") {
  Run r{lower_text(policy_with(R"("acls": )" + acls + R"(, "ssh": )" + ssh +
                               R"(, "sshTests": )" + tests)),
        {}, {}};
  ir::TestSuite suite = lower_tests(r.l.pol, r.l.inv);
  r.prog = lower_ssh(r.l.pol, r.l.inv);
  r.report = verify::run_ssh_tests(suite.ssh_tests, r.prog, r.l.inv);
  return r;
}

bool passes(const std::string& ssh, const std::string& test) {
  Run r = run(ssh, "[" + test + "]");
  REQUIRE(r.report.results.size() == 1);
  return r.report.results[0].passed;
}

const char* kBobRootOnWeb =
    R"([{"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["root"]}])";

}  // namespace

TEST_CASE("sshTests: an ssh rule alone passes, without any network rule") {
  CHECK(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": ["tag:web"], "accept": ["root"]})"));
  CHECK(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": ["tag:web"], "deny": ["ubuntu"]})"));
}

TEST_CASE("sshTests: a failure has Tailscale's message and names the deciding rule") {
  Run r = run(kBobRootOnWeb,
              R"([{"src": "bob@example.org", "dst": ["tag:web"], "accept": ["ubuntu"]}])");
  REQUIRE(r.report.results.size() == 1);
  const auto& fs = r.report.results[0].failures;
  REQUIRE(fs.size() == 2);  // web1 and web2
  CHECK(fs[0].message ==
        R"(src "bob@example.org" at "100.64.0.20", dst "tag:web" at "100.64.0.1", ssh user "ubuntu": want: "accept" got: "deny")");
  CHECK(fs[1].message.find(R"(dst "tag:web" at "100.64.0.2")") != std::string::npos);
  CHECK(fs[0].detail.find("no ssh rule") != std::string::npos);
  CHECK(fs[0].pos.line == 6);

  Run d = run(kBobRootOnWeb, R"([{"src": "bob@example.org", "dst": ["tag:db"], "deny": ["root"]}])");
  const auto& f = d.report.results[0].failures.at(0);
  CHECK(f.message.find(R"(want: "deny" got: "accept")") != std::string::npos);
  REQUIRE(f.rule);
  CHECK(f.rule->origin_name() == "ssh[0]");
  CHECK(f.detail.find("decided by ssh[0] at line ") != std::string::npos);

  Diagnostics diags;
  verify::to_diagnostics(d.report, "p.hujson", diags);
  REQUIRE(diags.items().size() == 1);
  CHECK(diags.items()[0].hint.find("sshTests[0] (src \"bob@example.org\")") == 0);
}

TEST_CASE("sshTests: check wants a check rule; accept is satisfied by either") {
  const char* check = R"([{"action": "check", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["root"]}])";
  CHECK(passes(check, R"({"src": "bob@example.org", "dst": ["tag:web"], "check": ["root"]})"));
  CHECK(passes(check, R"({"src": "bob@example.org", "dst": ["tag:web"], "accept": ["root"]})"));
  CHECK_FALSE(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": ["tag:web"], "check": ["root"]})"));
  // The client's first match: check rules are sent first, whatever the order.
  const char* both = R"([{"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["root"]},
                         {"action": "check", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["root"]}])";
  CHECK(passes(both, R"({"src": "bob@example.org", "dst": ["tag:web"], "check": ["root"]})"));
}

TEST_CASE("sshTests: users follow root, autogroup:nonroot and localpart mapping") {
  const char* nonroot = R"([{"action": "accept", "src": ["group:eng"], "dst": ["tag:web"], "users": ["autogroup:nonroot"]}])";
  CHECK(passes(nonroot, R"({"src": "bob@example.org", "dst": ["tag:web"], "accept": ["alice", "deploy"], "deny": ["root"]})"));
  CHECK_FALSE(passes(nonroot, R"({"src": "bob@example.org", "dst": ["tag:web"], "accept": ["root"]})"));
  const char* lp = R"([{"action": "accept", "src": ["group:eng"], "dst": ["tag:web"], "users": ["localpart:*@example.com"]}])";
  CHECK(passes(lp, R"({"src": "alice@example.com", "dst": ["tag:web"], "accept": ["alice"], "deny": ["bob", "root"]})"));
  CHECK(passes(lp, R"({"src": "bob@example.org", "dst": ["tag:web"], "deny": ["bob"]})"));
}

TEST_CASE("sshTests: every source address must get the session") {
  const char* laptop = R"([{"action": "accept", "src": ["100.64.0.10"], "dst": ["tag:db"], "users": ["root"]}])";
  CHECK(passes(laptop, R"({"src": "100.64.0.10", "dst": ["tag:db"], "accept": ["root"]})"));
  Run r = run(laptop, R"([{"src": "alice@example.com", "dst": ["tag:db"], "accept": ["root"]}])");
  const auto& f = r.report.results.at(0).failures.at(0);
  REQUIRE(f.src);
  CHECK(to_string(f.src->addr) != "100.64.0.10");
  CHECK_FALSE(passes(laptop, R"({"src": "alice@example.com", "dst": ["tag:db"], "deny": ["root"]})"));
}

TEST_CASE("sshTests: destinations are tags, users, self, hosts and IPv4 addresses of devices") {
  const char* self = R"([{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self"], "users": ["root"]}])";
  CHECK(passes(self, R"({"src": "alice@example.com", "dst": ["alice@example.com"], "accept": ["root"]})"));
  CHECK(passes(self, R"({"src": "alice@example.com", "dst": ["autogroup:self"], "accept": ["root"]})"));
  CHECK(passes(self, R"({"src": "alice@example.com", "dst": ["bob@example.org"], "deny": ["root"]})"));
  CHECK(passes(self, R"({"src": "alice@example.com", "dst": ["100.64.0.11", "aphone"], "accept": ["root"]})"));
  // A bare IPv6 address fails, as on Tailscale, even of the right device.
  CHECK_FALSE(passes(self, R"({"src": "alice@example.com", "dst": ["fd7a:115c:a1e0::a"], "accept": ["root"]})"));
  // An address no device has, a user without devices, a host outside the tailnet.
  CHECK_FALSE(passes(self, R"({"src": "alice@example.com", "dst": ["100.64.9.9"], "deny": ["root"]})"));
  CHECK_FALSE(passes(self, R"({"src": "alice@example.com", "dst": ["carol@example.com"], "deny": ["root"]})"));
  CHECK_FALSE(passes(self, R"({"src": "alice@example.com", "dst": ["db"], "deny": ["root"]})"));
  CHECK_FALSE(passes(self, R"({"src": "tag:web", "dst": ["autogroup:self"], "deny": ["root"]})"));
}

TEST_CASE("sshTests: malformed tests fail") {
  CHECK_FALSE(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": ["tag:web"]})"));
  CHECK_FALSE(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": ["tag:web"], "accept": [""]})"));
  CHECK_FALSE(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": ["tag:web"], "accept": ["root"], "deny": ["root"]})"));
  CHECK_FALSE(passes(kBobRootOnWeb, R"({"dst": ["tag:web"], "accept": ["root"]})"));
  CHECK_FALSE(passes(kBobRootOnWeb, R"({"src": "ghost@example.com", "dst": ["tag:web"], "deny": ["root"]})"));
  CHECK_FALSE(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": [], "deny": ["root"]})"));
  // Duplicate destinations are fine.
  CHECK(passes(kBobRootOnWeb, R"({"src": "bob@example.org", "dst": ["tag:web", "tag:web"], "accept": ["root"]})"));
}

TEST_CASE("sshTests: Tailscale's failure body lists failing tests by src") {
  Run r = run(kBobRootOnWeb, R"([{"src": "bob@example.org", "dst": ["tag:db"], "accept": ["root"]},
                                 {"src": "bob@example.org", "dst": ["tag:db"], "deny": ["root"]}])");
  verify::AclTestReport none;
  CHECK(verify::test_failure_body(none, verify::SshTestReport{}) == "");
  CHECK(verify::test_failure_body(none, r.report) ==
        R"({"message":"test(s) failed","data":[{"user":"bob@example.org","errors":[)"
        R"("src \"bob@example.org\" at \"100.64.0.20\", dst \"tag:db\" at \"100.64.0.2\", ssh user \"root\": want: \"deny\" got: \"accept\""],)"
        R"("warnings":[]}]})");
}
