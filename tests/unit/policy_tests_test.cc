// The `tests` runner: lowering (front/lower_tests.h) plus evaluation
// (verifier/policy_tests.h) on hand-written policies, one rule of
// tailscale-policy.md §6.1 at a time.
#include <doctest/doctest.h>

#include <string>

#include "compiler/front/lower_tests.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/policy_tests.h"

using namespace aclc;
using aclc::testing::lower_text;
using aclc::testing::policy_with;

namespace {

struct Run {
  aclc::testing::Lowered l;
  verify::AclTestReport report;
};

// `acls` and `tests` spliced into the shared policy.
Run run(const std::string& acls, const std::string& tests, Dialect d = Dialect::Aclc) {
  Run r{lower_text(policy_with(R"("acls": )" + acls + R"(, "tests": )" + tests), d), {}};
  ir::TestSuite suite = lower_tests(r.l.pol, r.l.inv);
  r.report = verify::run_policy_tests(suite.tests, r.l.prog, r.l.inv);
  return r;
}

// Whether the single test passes.
bool passes(const std::string& acls, const std::string& test) {
  Run r = run(acls, "[" + test + "]");
  REQUIRE(r.report.results.size() == 1);
  return r.report.results[0].passed;
}

const verify::AclTestFailure& only_failure(const Run& r) {
  REQUIRE(r.report.results.size() == 1);
  REQUIRE(r.report.results[0].failures.size() == 1);
  return r.report.results[0].failures[0];
}

const char* kBobToWeb80 = R"([{"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web:80"]}])";

}  // namespace

TEST_CASE("tests: accept passes when allowed and fails with Tailscale's message otherwise") {
  CHECK(passes(kBobToWeb80, R"({"src": "bob@example.org", "accept": ["tag:web:80"]})"));
  Run r = run(kBobToWeb80, R"([{"src": "bob@example.org",
                                "accept": ["tag:web:80", "tag:web:22"]}])");
  const auto& f = only_failure(r);
  CHECK(f.message == R"(address "tag:web:22": want: Accept, got: Drop)");
  CHECK(f.entry == "tag:web:22");
  CHECK(f.pos.line == 7);
  CHECK(f.detail.find("100.64.0.20 (bob) -> 100.64.0.1 (web1) tcp or udp port 22") == 0);
  CHECK(f.detail.find("no rule allows it") != std::string::npos);
  CHECK(r.report.failed() == 1);
}

TEST_CASE("tests: deny fails when a rule allows, naming the rule") {
  CHECK(passes(kBobToWeb80, R"({"src": "bob@example.org", "deny": ["tag:web:22"]})"));
  Run r = run(kBobToWeb80, R"([{"src": "bob@example.org", "deny": ["tag:web:80"]}])");
  const auto& f = only_failure(r);
  CHECK(f.message == R"(address "tag:web:80": want: Drop, got: Accept)");
  REQUIRE(f.rule);
  CHECK(f.rule->origin_name() == "acls[0]");
  CHECK(f.detail.find("accepted by acls[0] at line ") != std::string::npos);
}

TEST_CASE("tests: every source address must be allowed") {
  // alice has alaptop (100.64.0.10) and aphone (100.64.0.11).
  const char* acls = R"([{"action": "accept", "src": ["100.64.0.10"], "dst": ["tag:db:443"]}])";
  Run r = run(acls, R"([{"src": "alice@example.com", "accept": ["tag:db:443"]}])");
  const auto& f = only_failure(r);
  REQUIRE(f.src);
  CHECK(to_string(f.src->addr) == "100.64.0.11");
  CHECK(passes(acls, R"({"src": "100.64.0.10", "accept": ["tag:db:443"]})"));
  // deny: one allowed pair is enough to fail.
  CHECK_FALSE(passes(acls, R"({"src": "alice@example.com", "deny": ["tag:db:443"]})"));
}

TEST_CASE("tests: the port must be a single number") {
  const char* all = R"([{"action": "accept", "src": ["*"], "dst": ["*:*"]}])";
  CHECK(passes(all, R"({"src": "bob@example.org", "accept": ["tag:web:0", "tag:web:65535"]})"));
  for (const char* e : {"tag:web:*", "tag:web:80,443", "tag:web:80-90", "tag:web:99999",
                        "tag:web:-1", "tag:web:http", "tag:web"}) {
    CAPTURE(e);
    CHECK_FALSE(passes(all, std::string(R"({"src": "bob@example.org", "accept": [")") + e + "\"]}"));
  }
}

TEST_CASE("tests: the host must be individual addresses") {
  const char* all = R"([{"action": "accept", "src": ["*"], "dst": ["*:*"]}])";
  auto ok = [&](const std::string& e) {
    return passes(all, R"({"src": "bob@example.org", "accept": [")" + e + "\"]}");
  };
  CHECK(ok("100.64.0.1:22"));
  CHECK(passes(all, R"({"src": "alaptop", "accept": ["[fd7a:115c:a1e0::1]:22"]})"));
  CHECK(ok("db:22"));  // a host alias of one IP, even one no device owns
  CHECK(ok("tag:web:22"));
  CHECK(ok("alice@example.com:22"));
  CHECK(ok("group:eng:22"));
  CHECK(ok("autogroup:member:22"));
  CHECK(ok("alaptop:22"));  // aclc dialect: a device name
  CHECK_FALSE(ok("100.64.0.1/32:22"));
  CHECK_FALSE(ok("10.0.0.0/33:22"));
  CHECK_FALSE(ok("lan:22"));  // a host alias of a CIDR
  CHECK_FALSE(ok("fd7a:115c:a1e0::1:22"));  // IPv6 must be bracketed
  CHECK_FALSE(ok("autogroup:internet:443"));
  CHECK_FALSE(ok("*:22"));
  CHECK_FALSE(ok("ipset:office:22"));
  CHECK_FALSE(ok("tag:nope:22"));
  CHECK_FALSE(ok("group:nope:22"));
  CHECK_FALSE(ok("nohost:22"));
  CHECK_FALSE(ok("ghost@example.com:22"));
}

TEST_CASE("tests: device names are the aclc dialect only") {
  const char* all = R"([{"action": "accept", "src": ["*"], "dst": ["*:*"]}])";
  CHECK(passes(all, R"({"src": "bob@example.org", "accept": ["alaptop:22"]})"));
  Run r = run(all, R"([{"src": "bob@example.org", "accept": ["alaptop:22"]}])",
              Dialect::Tailscale);
  CHECK_FALSE(r.report.passed());
}

TEST_CASE("tests: autogroup:self is the src user's own devices") {
  const char* self = R"([{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:22"]}])";
  CHECK(passes(self, R"({"src": "alice@example.com", "accept": ["autogroup:self:22"]})"));
  CHECK(passes(self, R"({"src": "alice@example.com", "deny": ["bob@example.org:22"]})"));
  CHECK_FALSE(passes(self, R"({"src": "alice@example.com", "deny": ["autogroup:self:22"]})"));
  // Only a user src has a self.
  CHECK_FALSE(passes(self, R"({"src": "tag:web", "deny": ["autogroup:self:22"]})"));
}

TEST_CASE("tests: the src must name addresses") {
  const char* all = R"([{"action": "accept", "src": ["*"], "dst": ["*:*"]}])";
  auto ok = [&](const std::string& src) {
    return passes(all, R"({"src": ")" + src + R"(", "accept": ["tag:web:22"]})");
  };
  CHECK(ok("bob@example.org"));
  CHECK(ok("group:eng"));
  CHECK(ok("tag:router"));
  CHECK(ok("autogroup:tagged"));
  CHECK(ok("100.64.0.20"));
  CHECK_FALSE(ok("db"));  // 10.9.0.5 is no tailnet address: "*" does not admit it
  CHECK(passes(R"([{"action": "accept", "src": ["db"], "dst": ["*:*"]}])",
               R"({"src": "db", "accept": ["tag:web:22"]})"));
  CHECK_FALSE(ok(""));
  CHECK_FALSE(ok("ghost@example.com"));
  CHECK_FALSE(ok("carol@example.com"));  // a user without devices
  CHECK_FALSE(ok("tag:nope"));
  CHECK_FALSE(ok("autogroup:bogus"));
  CHECK_FALSE(ok("autogroup:self"));
  CHECK_FALSE(ok("*"));
  CHECK_FALSE(ok("10.0.0.0/8"));
  CHECK_FALSE(passes(all, R"({"accept": ["tag:web:22"]})"));
  Run r = run(all, R"([{"src": "tag:nope", "accept": ["tag:web:22"]}])");
  const auto& f = only_failure(r);
  CHECK(f.message == "test(s) failed for user: tag:nope");
  CHECK(f.detail.find("tag not found: \"tag:nope\"") != std::string::npos);
}

TEST_CASE("tests: proto omitted means TCP or UDP; a named proto is exact") {
  const char* udp = R"([{"action": "accept", "src": ["*"], "proto": "udp", "dst": ["tag:web:53"]}])";
  CHECK(passes(udp, R"({"src": "bob@example.org", "accept": ["tag:web:53"]})"));
  CHECK(passes(udp, R"({"src": "bob@example.org", "proto": "udp", "accept": ["tag:web:53"]})"));
  CHECK(passes(udp, R"({"src": "bob@example.org", "proto": "17", "accept": ["tag:web:53"]})"));
  CHECK_FALSE(passes(udp, R"({"src": "bob@example.org", "proto": "tcp", "accept": ["tag:web:53"]})"));
  CHECK_FALSE(passes(udp, R"({"src": "bob@example.org", "deny": ["tag:web:53"]})"));
  const char* icmp = R"([{"action": "accept", "src": ["*"], "proto": "icmp", "dst": ["tag:web:*"]}])";
  CHECK_FALSE(passes(icmp, R"({"src": "bob@example.org", "accept": ["tag:web:0"]})"));
  CHECK(passes(icmp, R"({"src": "bob@example.org", "proto": "icmp", "accept": ["tag:web:0"]})"));
  CHECK_FALSE(passes(icmp, R"({"src": "bob@example.org", "proto": "bogus", "accept": ["tag:web:0"]})"));
}

TEST_CASE("tests: a test needs an accept or a deny, and pairs of one family") {
  const char* all = R"([{"action": "accept", "src": ["*"], "dst": ["*:*"]}])";
  CHECK_FALSE(passes(all, R"({"src": "bob@example.org"})"));
  CHECK_FALSE(passes(all, R"({"src": "bob@example.org", "accept": []})"));
  // bob has no IPv6 address: nothing to test against an IPv6 destination.
  Run r = run(all, R"([{"src": "bob@example.org", "accept": ["[fd7a:115c:a1e0::1]:22"]}])");
  CHECK(only_failure(r).detail.find("same family") != std::string::npos);
  // Duplicate entries are fine.
  CHECK(passes(all, R"({"src": "bob@example.org", "accept": ["tag:web:22", "tag:web:22"]})"));
}

TEST_CASE("tests: aclc deny rules decide first-match") {
  const char* acls = R"([{"action": "deny", "src": ["bob@example.org"], "dst": ["tag:db:*"]},
                         {"action": "accept", "src": ["*"], "dst": ["*:*"]}])";
  Run r = run(acls, R"([{"src": "bob@example.org", "accept": ["tag:db:22"]}])");
  const auto& f = only_failure(r);
  CHECK(f.message == R"(address "tag:db:22": want: Accept, got: Drop)");
  CHECK(f.detail.find("denied by acls[0]") != std::string::npos);
  CHECK(passes(acls, R"({"src": "bob@example.org", "accept": ["tag:router:22"], "deny": ["tag:db:22"]})"));
  // web2 is tag:web and tag:db: the deny covers it under either name.
  CHECK_FALSE(passes(acls, R"({"src": "bob@example.org", "accept": ["tag:web:22"]})"));
}

TEST_CASE("tests: diagnostics carry file, position, Tailscale's message and aclc's detail") {
  Run r = run(kBobToWeb80, R"([{"src": "bob@example.org", "accept": ["tag:web:80"]},
                               {"src": "bob@example.org", "accept": ["tag:web:443"]}])");
  CHECK(r.report.results[0].passed);
  CHECK_FALSE(r.report.results[1].passed);
  Diagnostics d;
  verify::to_diagnostics(r.report, "policy.hujson", d);
  REQUIRE(d.items().size() == 1);
  const Diagnostic& x = d.items()[0];
  CHECK(x.file == "policy.hujson");
  CHECK(x.pos.line == 7);
  CHECK(x.message == R"(address "tag:web:443": want: Accept, got: Drop)");
  CHECK(x.hint.find("tests[1] (src \"bob@example.org\")") == 0);
}
