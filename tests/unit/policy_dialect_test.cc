// The aclc dialect accepts aclc's extensions; the Tailscale dialect rejects
// each one where it is written, with Tailscale's message and a rewrite.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "tests/unit/policy_test_util.h"

using namespace aclc;
using namespace aclc::policy;
using aclc::testing::load;

namespace {

std::string seed_policy() {
  std::ifstream in(std::string(ACLC_SOURCE_DIR) + "/examples/seed-mesh/policy.hujson");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("dialect: the seed policy is valid aclc") {
  std::string text = seed_policy();
  REQUIRE_FALSE(text.empty());
  auto l = load(text, Dialect::Aclc);
  REQUIRE(l.policy);
  CHECK(l.errors.empty());
  const Policy& p = *l.policy;
  // A device name as a group member.
  const Group* admin = p.find_group("group:admin");
  REQUIRE(admin);
  REQUIRE(admin->members.size() == 2);
  CHECK(admin->members[1].kind == SelectorKind::Name);
  CHECK(admin->members[1].name == "macstudio");
  // A device name as a selector, not a host alias.
  REQUIRE(p.acls.size() == 4);
  CHECK(p.acls[1].src[0].kind == SelectorKind::Name);
  CHECK_FALSE(p.acls[1].src[0].host_alias);
  CHECK(p.acls[1].dst[0].target.name == "overseer");
  CHECK(p.acls[1].dst[1].ports[0] == PortRange{6379, 6379});
  // A deny rule, in order.
  CHECK(p.acls[3].action == Action::Deny);
  CHECK(p.acls[3].index == 3);
}

TEST_CASE("dialect: the seed policy is rejected by Tailscale at lines 4, 13 and 19") {
  auto l = load(seed_policy(), Dialect::Tailscale);
  REQUIRE(l.policy);
  std::vector<uint32_t> lines;
  for (const auto& d : l.diags.items()) {
    if (d.severity != Severity::Error) continue;
    lines.push_back(d.pos.line);
    CHECK_MESSAGE(!d.hint.empty(), d.message);
  }
  REQUIRE(lines.size() >= 3);
  CHECK(lines.front() == 4);
  CHECK(lines.back() == 19);
  for (uint32_t line : lines) CHECK((line == 4 || line == 13 || line == 19));
  CHECK(l.errors.front() ==
        "4:45: groups[\"group:admin\"]: username must contain @, got: \"macstudio\"");
  CHECK(l.errors[1] == "13:34: src=host not defined in policy: \"ctmprod\"");
  CHECK(l.errors.back() == "19:16: action=\"deny\" is not supported");
  const Diagnostic* deny = nullptr;
  for (const auto& d : l.diags.items())
    if (d.pos.line == 19) deny = &d;
  REQUIRE(deny);
  CHECK(deny->hint.find("aclc lower") != std::string::npos);
}

TEST_CASE("dialect: a defined host is an alias in both dialects") {
  const char* text = R"({"hosts": {"db": "100.64.0.5"},
    "acls": [{"action": "accept", "src": ["db"], "dst": ["db:5432"]}]})";
  for (auto d : {Dialect::Aclc, Dialect::Tailscale}) {
    auto l = load(text, d);
    CHECK(l.errors.empty());
    CHECK(l.policy->acls[0].src[0].host_alias);
    CHECK(l.policy->acls[0].dst[0].target.host_alias);
  }
}

TEST_CASE("dialect: names that cannot be devices are errors in both dialects") {
  auto l = load(R"({"acls": [{"action": "accept", "src": ["bad%name"], "dst": ["*:*"]}]})");
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0] == "1:40: \"bad%name\": invalid address");
  auto g = load(R"({"groups": {"group:a": ["x y"]}})");
  REQUIRE(g.errors.size() == 1);
  CHECK(g.errors[0] == "1:25: groups[\"group:a\"]: \"x y\": invalid group member");
}
