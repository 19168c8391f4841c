#include <doctest/doctest.h>

#include "tests/unit/lower_fixture.h"
#include "verifier/assertions.h"

using namespace aclc;
using namespace aclc::testing;
using verify::AssertKind;
using verify::Scope;

namespace {

struct Decoded {
  std::vector<verify::Assertion> list;
  Diagnostics diags;
};

Decoded decode(const std::string& text, bool has_inventory = true) {
  static Lowered l = lower_text(policy_with(R"("acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}])"));
  Decoded d;
  d.list = verify::parse_assertions(text, "a.hujson", true, l.pol, l.inv, has_inventory, d.diags);
  return d;
}

std::string first_error(const Decoded& d) {
  const Diagnostic* e = d.diags.first_error();
  return e ? format_location(e->file, e->pos) + ": " + e->message : "";
}

}  // namespace

TEST_CASE("assertions: the three forms decode with their selectors, ports and scope") {
  Decoded d = decode(R"({"assertions": [
    {"src": "tag:web", "deny": ["tag:db:22", "web1:80-90,443"]},
    {"src": "group:eng", "accept": ["web1:22"], "proto": "udp", "scope": "symbolic"},
    {"dst": "db:5432", "only": ["alice@example.com", "tag:web"]}]})");
  REQUIRE(first_error(d) == "");
  REQUIRE(d.list.size() == 3);
  CHECK(d.list[0].kind == AssertKind::Deny);
  CHECK(d.list[0].src->name == "tag:web");
  REQUIRE(d.list[0].dsts.size() == 2);
  CHECK(d.list[0].dsts[1].ports.size() == 2);
  CHECK(d.list[0].dsts[1].ports[0] == PortRange{80, 90});
  CHECK(d.list[0].scope == Scope::Nodes);  // a device list was given
  CHECK(d.list[1].kind == AssertKind::Accept);
  CHECK(d.list[1].proto->number == 17);
  CHECK(d.list[1].scope == Scope::Symbolic);
  CHECK(d.list[2].kind == AssertKind::Only);
  CHECK(d.list[2].only.size() == 2);
  CHECK(d.list[2].pos.line == 4);
  CHECK(d.list[0].describe() == "tag:web deny tag:db:22, web1:80-90,443");
  CHECK(d.list[2].describe() == "db:5432 only from alice@example.com, tag:web");
}

TEST_CASE("assertions: undefined selectors and malformed ports are errors at their position") {
  CHECK(first_error(decode(R"([{"src": "tag:nope", "deny": ["web1:22"]}])")) ==
        "a.hujson:1:10: tag not found: \"tag:nope\"");
  CHECK(first_error(decode(R"([{"src": "group:x", "deny": ["web1:22"]}])")) ==
        "a.hujson:1:10: group not found: \"group:x\"");
  CHECK(first_error(decode(R"([{"src": "web1", "deny": ["ghost:22"]}])")) ==
        "a.hujson:1:27: host not defined in policy and no device of that name: \"ghost\"");
  // The error points into the string, at the port list.
  CHECK(first_error(decode(R"([{"src": "web1", "deny": ["bob:ssh"]}])")) ==
        "a.hujson:1:32: port range \"ssh\": invalid first integer");
  CHECK(first_error(decode(R"([{"src": "web1", "deny": ["bob"]}])")).find("hostport must contain a colon") !=
        std::string::npos);
  CHECK(first_error(decode(R"([{"src": "web1", "deny": ["bob:22"], "proto": "nope"}])")) ==
        "a.hujson:1:47: proto name \"nope\" not known; use protocol number 0-255");
}

TEST_CASE("assertions: shape errors name the problem") {
  CHECK(first_error(decode(R"([{"src": "web1"}])")) ==
        "a.hujson:1:2: an assertion needs exactly one of \"deny\", \"accept\" or \"only\"");
  CHECK(first_error(decode(R"([{"src": "web1", "deny": ["bob:22"], "accept": ["bob:22"]}])")) ==
        "a.hujson:1:2: an assertion needs exactly one of \"deny\", \"accept\" or \"only\"");
  CHECK(first_error(decode(R"([{"src": "web1", "only": ["bob"]}])")) ==
        "a.hujson:1:10: an \"only\" assertion names its \"dst\", not a \"src\"");
  CHECK(first_error(decode(R"([{"src": "web1", "deny": ["bob:22"], "colour": 1}])")).find(
            "unknown assertion field \"colour\"") != std::string::npos);
  CHECK(first_error(decode(R"([{"src": "web1", "deny": ["bob:22"], "scope": "galaxy"}])")) ==
        "a.hujson:1:47: \"scope\" must be \"nodes\" or \"symbolic\"");
  CHECK(first_error(decode(R"([{"src": "web1", "deny": []}])")) == "a.hujson:1:26: \"deny\" is empty");
  CHECK(first_error(decode(R"({"src": "web1", "deny": ["bob:22"], "scope": "nodes"})", false)) ==
        "a.hujson:1:1: scope \"nodes\" needs the tailnet's devices");
  CHECK(first_error(decode("[{\"src\": ")).rfind("a.hujson:1:", 0) == 0);
  CHECK(first_error(decode("42")) == "a.hujson:1:1: assertions must be an array of objects, got number");
}
