#include <doctest/doctest.h>

#include <chrono>

#include "tests/unit/policy_test_util.h"

using namespace aclc;
using namespace aclc::policy;
using aclc::testing::first_error;
using aclc::testing::load;

TEST_CASE("decode: syntax errors and a non-object top level give no policy") {
  auto l = load("{\"acls\": [,]}");
  CHECK_FALSE(l.policy);
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0] == "1:11: invalid character ',' at start of value");
  auto arr = load("[1]");
  CHECK_FALSE(arr.policy);
  REQUIRE(arr.errors.size() == 1);
  CHECK(arr.errors[0].rfind("1:1: json: cannot unmarshal array", 0) == 0);
}

TEST_CASE("decode: a million nesting levels is an error, not a crash") {
  std::string deep = "{\"derpMap\": " + std::string(1000000, '[');
  auto l = load(deep);
  CHECK_FALSE(l.policy);
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0].find("exceeded max depth") != std::string::npos);
}

TEST_CASE("decode: keys match case-insensitively, as Go's decoder") {
  auto l = load(R"({
    "ACLs": [{"Action": "accept", "Users": ["*"], "Ports": ["*:*"]}],
    "TagOwners": {"tag:a": []},
    "Hosts": {"h": "100.64.0.1"},
  })");
  REQUIRE(l.policy);
  CHECK(l.errors.empty());
  CHECK(l.policy->has_acls);
  REQUIRE(l.policy->acls.size() == 1);
  CHECK(l.policy->acls[0].src[0].kind == SelectorKind::Wildcard);
  CHECK(l.policy->acls[0].dst[0].ports[0] == PortRange::all());
  CHECK(l.policy->find_tag("tag:a"));
  CHECK(l.policy->find_host("h"));
}

TEST_CASE("decode: unknown fields are reported at the key") {
  auto l = load("{\n  \"acl\": [],\n  \"tests\": [{\"src\": \"a@b\", \"dst\": [\"x:1\"]}]\n}");
  REQUIRE(l.errors.size() == 2);
  CHECK(l.errors[0] == "2:3: json: unknown field \"acl\"");
  CHECK(l.errors[1] == "3:28: json: unknown field \"dst\"");
}

TEST_CASE("decode: duplicate keys, last wins with a warning at the earlier") {
  auto l = load("{\n\"hosts\": {\"a\": \"100.64.0.1\"},\n\"Hosts\": {\"b\": \"100.64.0.2\"}\n}");
  REQUIRE(l.policy);
  CHECK(l.errors.empty());
  CHECK_FALSE(l.policy->find_host("a"));
  CHECK(l.policy->find_host("b"));
  REQUIRE(l.warnings.size() == 1);
  CHECK(l.warnings[0].rfind("2:1: duplicate key \"hosts\"", 0) == 0);
  auto m = load("{\"groups\": {\"group:a\": [\"x@y\"], \"group:a\": [\"z@y\"]}}");
  REQUIRE(m.warnings.size() == 1);
  CHECK(m.warnings[0].rfind("1:13: duplicate key \"group:a\"", 0) == 0);
  CHECK(m.policy->find_group("group:a")->members[0].name == "z@y");
}

TEST_CASE("decode: type errors name the field") {
  auto l = load("{\"acls\": [{\"action\": \"accept\", \"src\": \"*\", \"dst\": [\"*:*\"]}]}");
  REQUIRE(l.errors.size() == 1);
  CHECK(l.errors[0] == "1:39: json: cannot unmarshal string into acls.src of type []string");
  CHECK(first_error("{\"hosts\": {\"a\": 1}}") ==
        "1:17: json: cannot unmarshal number into hosts of type string");
  CHECK(first_error("{\"disableIPv4\": \"yes\"}") ==
        "1:17: json: cannot unmarshal string into disableIPv4 of type bool");
  // null is Go's zero value, not an error.
  CHECK(first_error("{\"acls\": null, \"hosts\": null}") == "");
}

TEST_CASE("decode: every section lands in the policy") {
  auto l = load(R"({
    "groups": {"group:eng": [" alice@example.com "]},
    "tagOwners": {"tag:prod": ["group:eng"], "tag:web": ["tag:prod"]},
    "hosts": {"db": "10.0.0.5", "lan": "192.168.0.0/24"},
    "ipsets": {"ipset:office": ["add 10.0.0.0/8", "remove db", "192.168.1.1"]},
    "postures": {"posture:mac": ["node:os == 'macos'"]},
    "defaultSrcPosture": ["posture:mac"],
    "autoApprovers": {"routes": {"10.0.0.0/8": ["tag:prod"]}, "exitNode": ["group:eng"],
                      "services": {"svc:web": ["tag:web"]}},
    "acls": [{"action": "accept", "src": ["group:eng"], "proto": "tcp",
              "dst": ["tag:prod:22,443", "db:*", "[fd7a::1]:80"], "srcPosture": ["posture:mac"]}],
    "grants": [{"src": ["*"], "dst": ["tag:web"], "ip": ["tcp:443", "icmp:*"],
                "app": {"example.com/cap/x": [{"a": 1}]}, "via": ["tag:prod"]}],
    "ssh": [{"action": "check", "src": ["group:eng"], "dst": ["tag:prod"],
             "users": ["root", "autogroup:nonroot"], "checkPeriod": "1h",
             "acceptEnv": ["GIT_*"], "recorder": ["tag:web"], "enforceRecorder": true}],
    "nodeAttrs": [{"target": ["*"], "attr": ["funnel"], "ipPool": ["100.80.0.0/16"]}],
    "tests": [{"user": "alice@example.com", "allow": ["tag:prod:22"], "deny": ["db:80"], "proto": "tcp"}],
    "sshTests": [{"src": "alice@example.com", "dst": ["tag:prod"], "accept": ["root"]}],
    "derpMap": {"omitDefaultRegions": false}, "randomizeClientPort": true,
    "OneCGNATRoute": "mac-always", "attrConfig": {}, "disableIPv4": false,
  })");
  REQUIRE(l.policy);
  CHECK(l.errors.empty());
  for (const auto& e : l.errors) MESSAGE(e);
  const Policy& p = *l.policy;
  CHECK(p.groups[0].members[0].name == "alice@example.com");  // trimmed
  CHECK(p.find_host("lan")->prefix.bits == 24);
  REQUIRE(p.ipsets[0].entries.size() == 3);
  CHECK(p.ipsets[0].entries[1].op == IPSetOp::Remove);
  CHECK(p.ipsets[0].entries[1].target.host_alias);
  CHECK(p.default_src_posture.size() == 1);
  CHECK(p.auto_approvers.routes[0].prefix.bits == 8);
  CHECK(p.auto_approvers.exit_node.size() == 1);
  CHECK(p.auto_approvers.services.has_value());
  const AclRule& r = p.acls[0];
  CHECK(r.proto->number == 6);
  REQUIRE(r.dst.size() == 3);
  CHECK(r.dst[0].target.name == "tag:prod");
  CHECK(r.dst[0].ports.size() == 2);
  CHECK(r.dst[1].target.host_alias);
  CHECK(r.dst[2].target.kind == SelectorKind::Prefix);
  const Grant& g = p.grants[0];
  CHECK(g.ip.size() == 2);
  CHECK(g.app[0].name.text == "example.com/cap/x");
  CHECK(g.app[0].values.size() == 1);
  CHECK(g.via[0].name == "tag:prod");
  const SshRule& s = p.ssh[0];
  CHECK(s.action == SshAction::Check);
  CHECK(s.users.size() == 2);
  CHECK(s.check_period->text == "1h");
  CHECK(s.enforce_recorder);
  CHECK(p.node_attrs[0].ip_pool[0].text == "100.80.0.0/16");
  CHECK(p.tests[0].src->text == "alice@example.com");
  CHECK(p.tests[0].has_accept);
  CHECK(p.tests[0].accept[0].text == "tag:prod:22");
  CHECK(p.ssh_tests[0].has_accept);
  CHECK_FALSE(p.ssh_tests[0].has_deny);
  CHECK(p.passthrough.size() == 5);
}

TEST_CASE("decode: assertions are an aclc extension") {
  auto aclc = load("{\"assertions\": [{\"x\": 1}]}", Dialect::Aclc);
  CHECK(aclc.errors.empty());
  CHECK(aclc.policy->assertions.has_value());
  auto ts = load("{\n  \"assertions\": []\n}", Dialect::Tailscale);
  REQUIRE(ts.errors.size() == 1);
  CHECK(ts.errors[0] == "2:3: json: unknown field \"assertions\"");
}

TEST_CASE("decode: absent acls and grants differ from empty ones") {
  auto none = load("{}");
  CHECK_FALSE(none.policy->has_acls);
  CHECK_FALSE(none.policy->has_grants);
  auto empty = load("{\"grants\": []}");
  CHECK(empty.policy->has_grants);
}

TEST_CASE("decode: large input stays linear") {
  std::string text = "{\"hosts\": {";
  const int n = 100000;
  for (int i = 0; i < n; i++)
    text += "\"h" + std::to_string(i) + "\": \"10." + std::to_string(i / 65536) +
            "." + std::to_string((i / 256) % 256) + "." + std::to_string(i % 256) + "\",\n";
  text += "}, \"acls\": [";
  for (int i = 0; i < n; i++) text += "{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"h1:22\"]},\n";
  text += "]}";
  auto t0 = std::chrono::steady_clock::now();
  auto l = load(text);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(l.errors.empty());
  CHECK(l.policy->acls.size() == size_t(n));
  CHECK(secs < 30);  // debug build; quadratic behaviour would take hours
}
