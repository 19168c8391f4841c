#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/prove.h"

using namespace aclc;
using namespace aclc::testing;
using verify::Outcome;

namespace {

struct Proved {
  std::vector<verify::Assertion> assertions;
  std::vector<verify::AssertionResult> results;
};

Proved prove_text(const Lowered& l, const std::string& assertions) {
  Proved p;
  Diagnostics d;
  p.assertions = verify::parse_assertions(assertions, "a.hujson", false, l.pol, l.inv, true, d);
  REQUIRE_MESSAGE(!d.has_errors(), d.first_error()->message);
  p.results = verify::prove(p.assertions, l.pol, l.prog, l.inv);
  return p;
}

const char* kRules = R"("acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]},
    {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:db:*"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["tag:web:443"]}])";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("prove: holding assertions are proofs, failing ones carry a checked counterexample") {
  Lowered l = lower_text(policy_with(kRules));
  Proved p = prove_text(l, R"([
    {"src": "tag:web", "deny": ["tag:web:22"]},
    {"src": "alice@example.com", "accept": ["web1:22,443"]},
    {"src": "bob@example.org", "deny": ["web2:443"]},
    {"src": "bob@example.org", "accept": ["web2:443"]},
    {"dst": "web1:443", "only": ["alice@example.com"]}])");
  REQUIRE(p.results.size() == 5);
  CHECK(p.results[0].outcome == Outcome::Holds);
  CHECK(p.results[1].outcome == Outcome::Holds);
  // bob is denied web2 (tag:db) by the deny rule, before the accept on 443.
  CHECK(p.results[2].outcome == Outcome::Holds);
  // ... so an assertion that bob reaches it fails at the deny rule.
  REQUIRE(p.results[3].outcome == Outcome::Fails);
  const verify::Counterexample& c = *p.results[3].counterexample;
  CHECK(to_string(c.flow.src) == "100.64.0.20");
  CHECK(to_string(c.flow.dst) == "100.64.0.2");
  CHECK(c.flow.port == 443);
  CHECK(c.flow.proto == 6);
  CHECK(c.verdict == ir::Verdict::Deny);
  REQUIRE(c.deciding);
  CHECK(l.prog.rules[*c.deciding].action == ir::Action::Deny);
  // bob (a member) reaches web1:443 too.
  REQUIRE(p.results[4].outcome == Outcome::Fails);
  const verify::Counterexample& o = *p.results[4].counterexample;
  CHECK(o.src_text == "bob (100.64.0.20)");
  CHECK(o.dst_text == "web1 (100.64.0.1)");
  CHECK(o.verdict == ir::Verdict::Allow);
  REQUIRE(o.deciding);
  CHECK(l.prog.rules[*o.deciding].index == 2);
}

TEST_CASE("prove: the symbolic scope finds the device that could join") {
  Lowered l = lower_text(policy_with(kRules));
  // On the inventory no tag:db device is reached on 22 by a tagged device;
  // a new device carrying both tag:web... is still no source (tagged
  // devices are not group members), but a new member of group:eng's user
  // alice could be tagged web+db and reached on 22.
  Proved p = prove_text(l, R"([
    {"src": "alice@example.com", "deny": ["tag:db:22"]},
    {"src": "alice@example.com", "deny": ["tag:db:22"], "scope": "symbolic"},
    {"src": "tag:db", "deny": ["*:22"], "scope": "symbolic"}])");
  CHECK(p.results[0].outcome == Outcome::Fails);  // web2 is tag:web and tag:db
  REQUIRE(p.results[1].outcome == Outcome::Fails);
  CHECK(p.results[2].outcome == Outcome::Holds);  // tagged devices are in no group
  const verify::Counterexample& c = *p.results[1].counterexample;
  CHECK(c.dst.tagged);
  CHECK(c.flow.port == 22);
}

TEST_CASE("prove: unknown under the resource limit is a failure, not a pass") {
  Lowered l = lower_text(policy_with(kRules));
  Diagnostics d;
  auto a = verify::parse_assertions(R"([{"src": "*", "deny": ["*:22"], "scope": "symbolic"}])",
                                    "a.hujson", false, l.pol, l.inv, true, d);
  verify::ProveOptions opt;
  opt.rlimit = 1;
  auto r = verify::prove(a, l.pol, l.prog, l.inv, opt);
  REQUIRE(r.size() == 1);
  CHECK(r[0].outcome == Outcome::Unknown);
  Diagnostics out;
  verify::to_diagnostics(r, l.pol, l.prog, out);
  CHECK(out.has_errors());
}

TEST_CASE("prove: the seed mesh report is byte-identical to its golden file") {
  const std::string dir = std::string(ACLC_SOURCE_DIR) + "/examples/seed-mesh/";
  Diagnostics d;
  auto inv = parse_inventory(read(dir + "devices.json"), "examples/seed-mesh/devices.json", d);
  REQUIRE(inv);
  auto pol = policy::parse_policy(read(dir + "policy.hujson"), "examples/seed-mesh/policy.hujson",
                                  policy::LoadOptions{}, d);
  REQUIRE(pol);
  REQUIRE(!d.has_errors());
  ir::Program prog = lower(*pol, *inv);
  std::string report[2];
  for (std::string& out : report) {
    auto a = verify::parse_assertions(read(dir + "assertions.hujson"),
                                      "examples/seed-mesh/assertions.hujson", false, *pol, *inv,
                                      true, d);
    REQUIRE(!d.has_errors());
    auto results = verify::prove(a, *pol, prog, *inv);
    Diagnostics diags;
    verify::to_diagnostics(results, *pol, prog, diags);
    for (const Diagnostic& x : diags.items()) {
      out += format_location(x.file, x.pos) + ": " + x.message + "\n";
    }
    for (const std::string& line : verify::summary_lines(results)) out += line + "\n";
  }
  CHECK(report[0] == report[1]);
  const std::string golden = std::string(ACLC_SOURCE_DIR) + "/tests/data/verifier/seed-mesh.prove.txt";
  if (std::getenv("ACLC_UPDATE_GOLDEN")) {
    std::ofstream(golden, std::ios::binary) << report[0];
  }
  CHECK(report[0] == read(golden));
}
