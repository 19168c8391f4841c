// SSH lowering, per-node compilation (ir::node_ssh_rules), the client's
// first-match decision (ir::decide_ssh) and the SSHPolicy JSON back end.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "compiler/back/ssh_policy.h"
#include "compiler/front/lower_ssh.h"
#include "tests/unit/lower_fixture.h"

using namespace aclc;
using aclc::testing::lower_text;
using aclc::testing::policy_with;

namespace {

struct Compiled {
  aclc::testing::Lowered l;
  ir::SshProgram ssh;
  size_t device(const std::string& name) const {
    const Device* d = l.inv.find_device(name);
    REQUIRE(d);
    return static_cast<size_t>(d - l.inv.devices.data());
  }
  std::vector<ir::NodeSshRule> rules(const std::string& node) const {
    return ir::node_ssh_rules(ssh, l.inv, device(node));
  }
  std::string json(const std::string& node) const {
    return tailcfg::ssh_policy_json(rules(node));
  }
};

Compiled compile(const std::string& ssh_section) {
  Compiled c{lower_text(policy_with(R"("acls": [], "ssh": )" + ssh_section)), {}};
  c.ssh = lower_ssh(c.l.pol, c.l.inv);
  return c;
}

std::vector<std::string> principals(const ir::NodeSshRule& r) {
  std::vector<std::string> out;
  for (const Addr& a : r.principals) out.push_back(to_string(a));
  std::sort(out.begin(), out.end());
  return out;
}

const char* kAccept =
    R"("action":{"accept":true,"allowAgentForwarding":true,"allowLocalPortForwarding":true,"allowRemotePortForwarding":true})";

}  // namespace

TEST_CASE("ssh: one accept rule compiles to Tailscale's exact JSON on the dst only") {
  auto c = compile(R"([{"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"],
                        "users": ["ubuntu"]}])");
  CHECK(c.json("web1") ==
        std::string(R"({"rules":[{"principals":[{"nodeIP":"100.64.0.20"}],)") +
            R"("sshUsers":{"root":"","ubuntu":"ubuntu"},)" + kAccept + "}]}");
  CHECK(c.json("web2") == c.json("web1"));
  CHECK(c.json("bob") == R"({"rules":[]})");
  CHECK(c.json("alaptop") == R"({"rules":[]})");
}

TEST_CASE("ssh: check action is holdAndDelegate only, checkPeriod is not on the wire") {
  auto c = compile(R"([{"action": "check", "checkPeriod": "1h", "src": ["bob@example.org"],
                        "dst": ["tag:web"], "users": ["root"]}])");
  CHECK(c.json("web1") ==
        R"({"rules":[{"principals":[{"nodeIP":"100.64.0.20"}],"sshUsers":{"root":"root"},)"
        R"("action":{"holdAndDelegate":"https://unused/machine/ssh/action/$SRC_NODE_ID/to/$DST_NODE_ID?local_user=$LOCAL_USER"}}]})");
  auto rules = c.rules("web1");
  REQUIRE(rules.size() == 1);
  CHECK(tailcfg::ssh_policy_json(rules, 0, "https://ctl.example").find(
            "\"https://ctl.example/machine/ssh/action/") != std::string::npos);
}

TEST_CASE("ssh: users map root, autogroup:nonroot and literals as Tailscale does") {
  auto c = compile(R"([
    {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["autogroup:nonroot"]},
    {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["root", "autogroup:nonroot"]},
    {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["group:x", "localpart:*@"]}])");
  auto rules = c.rules("web1");
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].users == std::map<std::string, std::string>{{"*", "="}, {"root", ""}});
  CHECK(rules[1].users == std::map<std::string, std::string>{{"*", "="}, {"root", "root"}});
  // Anything else is a literal Unix user, even a policy-looking name.
  CHECK(rules[2].users == std::map<std::string, std::string>{
                              {"group:x", "group:x"}, {"localpart:*@", "localpart:*@"}, {"root", ""}});
}

TEST_CASE("ssh: check rules come before accept rules, policy order otherwise") {
  auto c = compile(R"([
    {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["a"]},
    {"action": "check", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["b"]},
    {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["c"], "acceptEnv": ["GIT_*"]}])");
  auto rules = c.rules("web1");
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].rule == 1);
  CHECK(rules[0].action == ir::SshAction::Check);
  CHECK(rules[1].rule == 0);
  CHECK(rules[2].rule == 2);
  CHECK(rules[2].accept_env == std::vector<std::string>{"GIT_*"});
  std::string j = c.json("web1");
  CHECK(j.find(R"("acceptEnv":["GIT_*"])") != std::string::npos);
  // acceptEnv is omitted where the rule has none.
  CHECK(j.find("acceptEnv") == j.rfind("acceptEnv"));
}

TEST_CASE("ssh: principals are one per source address and not deduplicated") {
  auto c = compile(R"([{"action": "accept", "src": ["autogroup:tagged"], "dst": ["autogroup:member"],
                        "users": ["root"]}])");
  auto rules = c.rules("bob");
  REQUIRE(rules.size() == 1);
  // web2 carries two tags and is a principal twice; web1 has two addresses.
  CHECK(principals(rules[0]) ==
        std::vector<std::string>{"100.64.0.1", "100.64.0.2", "100.64.0.2", "100.64.0.30",
                                 "100.64.0.40", "fd7a:115c:a1e0::1"});
  // A tagged device is not a member: nothing for web1.
  CHECK(c.rules("web1").empty());
}

TEST_CASE("ssh: autogroup:self gives each user's device its own user's sources") {
  auto c = compile(R"([{"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self"],
                        "users": ["root"]}])");
  auto al = c.rules("alaptop");
  REQUIRE(al.size() == 1);
  CHECK(principals(al[0]) ==
        std::vector<std::string>{"100.64.0.10", "100.64.0.11", "fd7a:115c:a1e0::a"});
  auto bob = c.rules("bob");
  REQUIRE(bob.size() == 1);
  CHECK(principals(bob[0]) == std::vector<std::string>{"100.64.0.20"});
  CHECK(c.rules("web2").empty());  // tagged, though its user field says alice
}

TEST_CASE("ssh: localpart users split per source user, and sources receive their own rules") {
  auto c = compile(R"([{"action": "accept", "src": ["autogroup:member"], "dst": ["tag:web"],
                        "users": ["localpart:*@example.com", "ubuntu"]}])");
  auto web = c.rules("web1");
  // alice (example.com): base rule then her local part; bob (example.org):
  // the base rule only. Users in the inventory's user order.
  REQUIRE(web.size() == 3);
  CHECK(principals(web[0]) ==
        std::vector<std::string>{"100.64.0.10", "100.64.0.11", "fd7a:115c:a1e0::a"});
  CHECK(web[0].users == std::map<std::string, std::string>{{"root", ""}, {"ubuntu", "ubuntu"}});
  CHECK(principals(web[1]) == principals(web[0]));
  CHECK(web[1].users == std::map<std::string, std::string>{{"alice", "alice"}});
  CHECK(principals(web[2]) == std::vector<std::string>{"100.64.0.20"});
  CHECK(web[2].users == web[0].users);
  // A source node that is no destination still gets its own user's rules.
  auto laptop = c.rules("alaptop");
  REQUIRE(laptop.size() == 2);
  CHECK(laptop[1].users == std::map<std::string, std::string>{{"alice", "alice"}});
  CHECK(c.rules("bob").size() == 1);
  CHECK(c.rules("router").empty());
}

TEST_CASE("ssh: empty src or dst gives no rules; '*' src is the any principal") {
  auto c = compile(R"([
    {"action": "accept", "src": [], "dst": ["tag:web"], "users": ["root"]},
    {"action": "accept", "src": ["bob@example.org"], "dst": [], "users": ["root"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:db"], "users": ["root"]}])");
  CHECK(c.rules("web1").empty());
  auto db = c.rules("web2");
  REQUIRE(db.size() == 1);
  CHECK(principals(db[0]) == std::vector<std::string>{"100.64.0.10", "100.64.0.11", "100.64.0.20",
                                                      "fd7a:115c:a1e0::a"});
  auto any = compile(R"([{"action": "accept", "src": ["*"], "dst": ["tag:db"], "users": ["root"]}])");
  CHECK(any.json("web2").find(R"("principals":[{"any":true}])") != std::string::npos);
}

TEST_CASE("ssh: decide_ssh is the client's first match, skipping rules that map the user to nothing") {
  auto c = compile(R"([
    {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["autogroup:nonroot"]},
    {"action": "check", "src": ["bob@example.org"], "dst": ["tag:web"], "users": ["root"]}])");
  auto rules = c.rules("web1");
  const Addr bob = *parse_addr("100.64.0.20");
  auto root = ir::decide_ssh(rules, bob, "root");
  CHECK(root.verdict == ir::SshVerdict::Check);
  REQUIRE(root.node_rule);
  CHECK(rules[*root.node_rule].rule == 1);
  auto alice = ir::decide_ssh(rules, bob, "alice");
  CHECK(alice.verdict == ir::SshVerdict::Accept);
  CHECK(alice.local_user == "alice");  // "*": "=" keeps the name
  CHECK(ir::decide_ssh(rules, bob, "").verdict == ir::SshVerdict::Deny);
  CHECK(ir::decide_ssh(rules, *parse_addr("100.64.0.10"), "alice").verdict == ir::SshVerdict::Deny);
}

TEST_CASE("ssh: ssh_policy_json_all lists every node by hostname") {
  auto c = compile(R"([{"action": "accept", "src": ["bob@example.org"], "dst": ["tag:db"], "users": ["root"]}])");
  std::string all = tailcfg::ssh_policy_json_all(c.ssh, c.l.inv);
  CHECK(all.find(R"("alaptop":{"rules":[]})") < all.find(R"("web2":{"rules":[{)"));
  CHECK(all.find(R"("web1":{"rules":[]})") != std::string::npos);
}
