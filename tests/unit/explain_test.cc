#include <doctest/doctest.h>

#include "tests/unit/lower_fixture.h"
#include "verifier/explain.h"

using namespace aclc;
using namespace aclc::testing;

namespace {

const char* kRules = R"("acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]},
    {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:db:*"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["tag:web:443"]}])";

}  // namespace

TEST_CASE("explain: an allowed flow names the deciding rule and every other match") {
  Lowered l = lower_text(policy_with(kRules));
  Diagnostics d;
  auto e = verify::explain({"alaptop", "web1:22", std::nullopt}, l.pol, l.prog, l.inv, "p", d);
  REQUIRE(e);
  REQUIRE(e->flows.size() == 2);  // alaptop has a v4 and a v6 address, as has web1
  CHECK(e->allowed_all());
  CHECK(e->flows[0].deciding == 0u);
  std::string text = verify::render_explanation(*e, l.pol, l.prog);
  CHECK(text.find("alaptop (100.64.0.10) -> web1 (100.64.0.1) tcp/22: ALLOWED") != std::string::npos);
  CHECK(text.find("decided by acls[0] at policy.hujson:") != std::string::npos);
}

TEST_CASE("explain: a denied flow lists the blocking deny and every accept that could change") {
  Lowered l = lower_text(policy_with(kRules));
  Diagnostics d;
  auto e = verify::explain({"bob", "web2:443", std::nullopt}, l.pol, l.prog, l.inv, "p", d);
  REQUIRE(e);
  REQUIRE(e->flows.size() == 1);
  const verify::FlowExplanation& f = e->flows[0];
  CHECK(f.verdict == ir::Verdict::Deny);
  REQUIRE(f.deciding);
  CHECK(l.prog.rules[*f.deciding].action == ir::Action::Deny);
  std::string text = verify::render_explanation(*e, l.pol, l.prog);
  // The deny decides; acls[2] matches too but comes after it; acls[0]
  // would need port 443.
  CHECK(text.find("to allow it, change acls[1] (deny)") != std::string::npos);
  CHECK(text.find("also matches acls[2]") != std::string::npos);
  CHECK(text.find("acls[0] at policy.hujson:7:5: its ports for this dst exclude 443") !=
        std::string::npos);
  // With no rule at all, nothing matches.
  e = verify::explain({"web1", "bob:80", std::string("udp")}, l.pol, l.prog, l.inv, "p", d);
  REQUIRE(e);
  CHECK(verify::render_explanation(*e, l.pol, l.prog).find("no rule matches") != std::string::npos);
}

TEST_CASE("explain: unknown names, bad ports and protocols are errors") {
  Lowered l = lower_text(policy_with(kRules));
  Diagnostics d;
  CHECK(!verify::explain({"ghost", "web1:22", std::nullopt}, l.pol, l.prog, l.inv, "p", d));
  CHECK(!verify::explain({"bob", "web1:ssh", std::nullopt}, l.pol, l.prog, l.inv, "p", d));
  CHECK(!verify::explain({"bob", "web1", std::nullopt}, l.pol, l.prog, l.inv, "p", d));
  CHECK(!verify::explain({"bob", "web1:22", std::string("warp")}, l.pol, l.prog, l.inv, "p", d));
  CHECK(d.error_count() == 4);
  CHECK(d.items()[0].message == "--src: no host or device named \"ghost\"");
}
