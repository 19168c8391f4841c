// Each validation message, with the position of the offending string.
#include <doctest/doctest.h>

#include "compiler/front/validate.h"
#include "tests/unit/policy_test_util.h"

using namespace aclc;
using aclc::testing::first_error;
using aclc::testing::load;

namespace {

// A policy with the usual definitions and `body` spliced in on line 2.
std::string with_defs(const std::string& body) {
  return "{\"tagOwners\": {\"tag:a\": []}, \"groups\": {\"group:g\": [\"u@x.com\"]}, "
         "\"hosts\": {\"h\": \"100.64.0.1\"},\n" + body + "\n}";
}

}  // namespace

TEST_CASE("validate: undefined references") {
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["tag:b"], "dst": ["*:*"]}])")) ==
        "2:39: src=tag not found: \"tag:b\"");
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["*"], "dst": ["tag:b:22"]}])")) ==
        "2:53: dst=\"tag:b\": tag not found: \"tag:b\"");
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["group:x"], "dst": ["*:*"]}])")) ==
        "2:39: src=group not found: \"group:x\"");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["ipset:x"], "dst": ["*"], "ip": ["*"]}])")) ==
        "2:21: src=ipset not found: \"ipset:x\"");
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"], "srcPosture": ["posture:p"]}])")) ==
        "2:76: posture not found: \"posture:p\"");
  CHECK(first_error(with_defs(R"("nodeAttrs": [{"target": ["tag:undefined-tag"], "attr": ["x"]}])")) ==
        "2:27: tag not found: \"tag:undefined-tag\"");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"], "via": ["tag:zz"]}])")) ==
        "2:62: tag \"tag:zz\" not found");
  // Defined ones pass.
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["tag:a", "group:g", "h"], "dst": ["h:22"]}])")) == "");
}

TEST_CASE("validate: autogroup placement") {
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["autogroup:self"], "dst": ["*:*"]}])")) ==
        "2:39: \"autogroup:self\" not valid on the src side of a rule");
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["tag:a"], "dst": ["autogroup:self:*"]}])")) ==
        "2:57: autogroup:self can only be used with users, groups, or supported autogroups");
  // `*` is a supported source for ACLs but not for grants.
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["*"], "dst": ["autogroup:self:*"]}])")) == "");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["autogroup:self"], "ip": ["*"]}])")) ==
        "2:35: autogroup:self can only be used with users, groups, or supported autogroups");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["group:g", "u@x.com", "autogroup:member"], "dst": ["autogroup:self"], "ip": ["*"]}])")) == "");
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["*"], "dst": ["autogroup:self"]}])")) ==
        "2:53: dst=\"autogroup:self\": port range \"self\": invalid first integer");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["autogroup:danger-all"], "ip": ["*"]}])")) ==
        "2:35: cannot use autogroup:danger-all as a dst");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["autogroup:danger-all"], "dst": ["*"], "ip": ["*"]}])")) == "");
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["autogroup:everyone"], "dst": ["*:*"]}])")) ==
        "2:39: src=autogroup \"autogroup:everyone\" is not valid");
}

TEST_CASE("validate: grants") {
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["0.0.0.0/0"], "ip": ["*"]}])")) ==
        "2:35: dst \"0.0.0.0/0\": to allow all IP addresses, use \"*\" or \"autogroup:internet\"");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["::/0"], "ip": ["*"]}])")) ==
        "2:35: dst \"::/0\": to allow all IP addresses, use \"*\" or \"autogroup:internet\"");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "ip": []}])")) ==
        "2:12: ip and app can not both be empty");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "app": {"x.com/y": []}}])")) == "");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "ip": ["icmp"]}])")) ==
        "2:48: port range \"icmp\": invalid first integer");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "ip": ["tcp:0"]}])")) ==
        "2:48: port range \"0\": first port must be >0, or use '*' for wildcard");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"], "via": ["group:g"]}])")) ==
        "2:62: via can only be a tag");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "app": {"https://tailscale.com/cap/ingress": [{}]}}])")) ==
        "2:49: capability name must have the form {domain}/{path}");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "app": {"tailscale.com/cap/funnel": [{}]}}])")) ==
        "2:49: capability name must not be in the tailscale.com domain");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["*"], "app": {"tailscale.com/cap/drive": [{}]}}])")) == "");
  CHECK(first_error(with_defs(R"("grants": [{"src": ["*"], "dst": ["autogroup:internet"], "app": {"x.com/y": [{}]}}])")) ==
        "2:35: cannot use app grants with autogroup:internet");
}

TEST_CASE("validate: acls ports and protocols") {
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["*"], "dst": ["tag:a:ssh"]}])")) ==
        "2:53: dst=\"tag:a:ssh\": port range \"ssh\": invalid first integer");
  CHECK(first_error(with_defs(R"("acls": [{"action": "accept", "src": ["*"], "proto": "http", "dst": ["*:*"]}])")) ==
        "2:54: proto name \"http\" not known; use protocol number 0-255");
  CHECK(first_error(with_defs(R"("acls": [{"action": "reject", "src": ["*"], "dst": ["*:*"]}])")) ==
        "2:21: action=\"reject\" is not supported");
}

TEST_CASE("validate: groups, tags, hosts, ipsets") {
  CHECK(first_error(R"({"groups": {"group:a": ["x@y.com"], "group:b": ["group:a"]}})") ==
        "1:49: groups[\"group:b\"]: \"group:a\": group members cannot be recursive");
  CHECK(first_error("{\"tagOwners\": {\"tag:\xd1\x81\xd0\xb5\": []}}") ==
        "1:16: tagOwners[\"tag:\xd1\x81\xd0\xb5\"]: tag names must start with a letter, after 'tag:'");
  CHECK(first_error(R"({"hosts": {"h": "not-an-ip"}})") ==
        "1:17: hosts[\"h\"]: \"not-an-ip\": hostname contains invalid IP address");
  CHECK(first_error(R"({"ipsets": {"ipset:a": ["add tag:x"]}})") ==
        "1:25: ipsets[\"ipset:a\"]: \"tag:x\": not allowed in an ipset");
  CHECK(first_error(R"({"ipsets": {"ipset:a": ["ipset:b"], "ipset:b": ["ipset:a"]}})") ==
        "1:49: ipsets[\"ipset:b\"]: \"ipset:a\": ipsets cannot be recursive");
}

TEST_CASE("validate: ssh rules") {
  auto ssh = [](const std::string& rule) {
    return first_error(with_defs("\"ssh\": [" + rule + "]"));
  };
  CHECK(ssh(R"({"action": "deny", "src": ["*"], "dst": ["tag:a"], "users": ["root"]})") ==
        "2:20: \"deny\" is not a valid action");
  CHECK(ssh(R"({"action": "Accept", "src": ["*"], "dst": ["tag:a"], "users": ["root"]})") ==
        "2:20: \"Accept\" is not a valid action");
  CHECK(ssh(R"({"action": " accept", "src": ["*"], "dst": ["tag:a"], "users": ["root"]})") == "");
  CHECK(ssh(R"({"src": ["*"], "dst": ["tag:a"], "users": ["root"]})") ==
        "2:9: action must be specified");
  CHECK(ssh(R"({"action": "accept", "src": ["*"], "dst": ["tag:a"], "users": null})") ==
        "2:71: users must be specified");
  CHECK(ssh(R"({"action": "accept", "src": ["*"], "dst": ["tag:a"], "users": ["root", ""]})") ==
        "2:80: user \"\" is not valid");
  CHECK(ssh(R"({"action": "accept", "src": ["*"], "dst": ["tag:a"], "users": ["*"]})") ==
        "2:72: user \"*\" is not valid");
  CHECK(ssh(R"({"action": "accept", "src": ["*"], "dst": ["h"], "users": ["root"]})") ==
        "2:52: invalid dst \"h\"");
  CHECK(ssh(R"({"action": "check", "src": ["*"], "dst": ["tag:a"], "users": ["root"], "checkPeriod": "abc"})") ==
        "2:95: time: invalid duration \"abc\"");
  CHECK(ssh(R"({"action": "check", "src": ["*"], "dst": ["tag:a"], "users": ["root"], "checkPeriod": "-1m"})") ==
        "2:95: checkPeriod -1m0s must be a positive duration");
  CHECK(ssh(R"({"action": "check", "src": ["*"], "dst": ["tag:a"], "users": ["root"], "checkPeriod": "168h1s"})") ==
        "2:95: checkPeriod 168h0m1s is above the max (168h)");
  CHECK(ssh(R"({"action": "check", "src": ["*"], "dst": ["tag:a"], "users": ["root"], "checkPeriod": "always"})") == "");
  CHECK(ssh(R"({"action": "accept", "src": ["*"], "dst": ["tag:a"], "users": ["root"], "acceptEnv": [""]})") ==
        "2:95: acceptEnv values cannot be empty");
}

TEST_CASE("validate: ssh user domains need the tailnet's domains") {
  auto l = load(with_defs(R"("ssh": [{"action": "accept", "src": ["user:*@other.org"], "dst": ["tag:a"],
    "users": ["localpart:*@other.org", "localpart:*@x.com", "localpart:*@"]}])"),
                Dialect::Tailscale);
  REQUIRE(l.policy);
  CHECK(l.errors.empty());  // no domains known: not checked
  Diagnostics d;
  policy::check_ssh_user_domains(*l.policy, {"X.com"}, d);
  REQUIRE(d.error_count() == 2);
  CHECK(d.items()[0].message ==
        "[ssh] other.org is not associated with this Tailnet and cannot be used in user:*@<domain> expressions");
  CHECK(d.items()[0].pos.line == 2);
  CHECK(d.items()[0].pos.col == 38);
  CHECK(d.items()[1].message ==
        "other.org is not associated with this Tailnet and cannot be used in user:*@<domain> expressions");
  CHECK(d.items()[1].pos.line == 3);
}

TEST_CASE("validate: nodeAttrs") {
  CHECK(first_error(R"({"nodeAttrs": [{"target": ["%bogus%"], "attr": ["x"]}]})") ==
        "1:28: \"%bogus%\": invalid address");
  CHECK(first_error(R"({"nodeAttrs": [{"target": ["*"], "ipPool": ["100.100.100.0/24"]}]})") ==
        "1:45: IPPool(100.100.100.0/24): network within reserved range");
  CHECK(first_error(R"({"nodeAttrs": [{"target": ["*"], "ipPool": ["10.0.0.0/24"]}]})") ==
        "1:45: IPPool(10.0.0.0/24): network not within 100.64.0.0/10");
  CHECK(first_error(R"({"nodeAttrs": [{"target": ["*"], "attr": ["anything-goes"]}]})") == "");
}

TEST_CASE("validate: sshTests destinations") {
  auto t = [](const std::string& dst) {
    return first_error(with_defs(R"("sshTests": [{"src": "u@x.com", "accept": ["root"], "dst": [")" +
                                 dst + "\"]}]"));
  };
  CHECK(t("100.64.0.0/24") == "2:61: SSH tests dst contains disallowed element \"100.64.0.0/24\"");
  CHECK(t("autogroup:internet") ==
        "2:61: SSH tests dst contains disallowed element \"autogroup:internet\"");
  CHECK(t("tag:a:22") == "2:61: SSH tests dst contains unknown tag \"tag:a:22\"");
  CHECK(t("tag:a") == "");
  CHECK(t("100.64.0.1") == "");
}

TEST_CASE("validate: all errors are reported, in source order") {
  auto l = load(with_defs(R"("acls": [{"action": "accept", "src": ["tag:b"], "dst": ["tag:c:22"]},
              {"action": "accept", "src": ["group:zz"], "dst": ["*:http"]}])"),
                Dialect::Tailscale);
  REQUIRE(l.errors.size() == 4);
  CHECK(l.errors[0].rfind("2:39: ", 0) == 0);
  CHECK(l.errors[1].rfind("2:57: dst=", 0) == 0);
  CHECK(l.errors[2].rfind("3:44: src=", 0) == 0);
  CHECK(l.errors[3].rfind("3:65: dst=", 0) == 0);
}
