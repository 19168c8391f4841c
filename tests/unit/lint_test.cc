#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <set>

#include "compiler/ir/evaluate.h"
#include "tests/conformance/case.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/lint.h"

using namespace aclc;
using namespace aclc::testing;
using aclc::verify::LintFinding;
using aclc::verify::LintKind;
using aclc::verify::LintReport;
using aclc::verify::Scope;

namespace {

// Lints `text` against the fixture tailnet; `nodes`: as with --nodes.
LintReport lint_text(const std::string& text, bool nodes = false) {
  Lowered l = lower_text(text);
  return verify::lint(l.pol, l.prog, l.inv, nodes);
}

// "line:col" of the first occurrence of `needle` in `text`.
std::string at(const std::string& text, const std::string& needle) {
  size_t off = text.find(needle);
  REQUIRE_MESSAGE(off != std::string::npos, needle);
  size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(off), '\n'));
  size_t bol = text.rfind('\n', off);
  size_t col = bol == std::string::npos ? off + 1 : off - bol;
  return std::to_string(line) + ":" + std::to_string(col);
}

std::string lc(Pos p) { return std::to_string(p.line) + ":" + std::to_string(p.col); }

std::vector<LintFinding> of_kind(const LintReport& r, LintKind k) {
  std::vector<LintFinding> out;
  for (const LintFinding& f : r.findings) {
    if (f.kind == k) out.push_back(f);
  }
  return out;
}

std::vector<std::string> covering(const LintFinding& f) {
  std::vector<std::string> out;
  for (Pos p : f.covering) out.push_back(lc(p));
  return out;
}

// Whether the rules at `cover` admit every flow of the rule at `rule`, for
// any devices: an independent query, not the lint's.
bool covers(const Lowered& l, Pos rule, const std::vector<Pos>& cover) {
  z3::context ctx;
  verify::Encoding enc(ctx, l.pol, l.prog, l.inv, Scope::Symbolic);
  z3::expr mine = ctx.bool_val(false), theirs = ctx.bool_val(false);
  for (const ir::Rule& r : l.prog.rules) {
    if (r.pos.offset == rule.offset) mine = mine || enc.matches(r.id);
    for (Pos p : cover) {
      if (r.pos.offset == p.offset) theirs = theirs || enc.matches(r.id);
    }
  }
  z3::solver s = verify::make_solver(ctx);
  s.add(enc.domain());
  s.add(mine && !theirs);
  verify::Answer a = verify::check(s);
  REQUIRE(a != verify::Answer::Unknown);
  return a == verify::Answer::Unsat;
}

const char* kTags = R"("tagOwners": {"tag:web": [], "tag:db": [], "tag:router": [], "tag:exit": []},
  "groups": {"group:eng": ["alice@example.com", "bob@example.org"]},
)";

std::string tailnet_policy(const std::string& body) { return std::string("{\n  ") + kTags + body + "\n}"; }

}  // namespace

TEST_CASE("lint: two /25s cover the /24 (shadowing by a union)") {
  std::string text = tailnet_policy(R"(  "acls": [
    {"action": "accept", "src": ["10.0.0.0/25"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.128/25"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/24"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/23"], "dst": ["tag:db:22"]}])");
  LintReport r = lint_text(text);
  auto red = of_kind(r, LintKind::RedundantRule);
  // The /24 to tag:web is covered by the two /25s together (neither alone,
  // and the rule to tag:db does not help); no /25 is covered by the other.
  REQUIRE(red.size() == 1);
  CHECK(lc(red[0].pos) == at(text, R"({"action": "accept", "src": ["10.0.0.0/24"])"));
  CHECK(covering(red[0]) ==
        std::vector<std::string>{at(text, R"({"action": "accept", "src": ["10.0.0.0/25"])"),
                                 at(text, R"({"action": "accept", "src": ["10.0.0.128/25"])")});
  CHECK_FALSE(red[0].different_action);
  CHECK(red[0].scope == Scope::Symbolic);
  CHECK(red[0].message.find("is redundant (for any devices)") != std::string::npos);
  CHECK(of_kind(r, LintKind::DeadRule).empty());
  CHECK(of_kind(r, LintKind::ShadowedRule).empty());
}

TEST_CASE("lint: an accept-only policy reports one of two equal rules, the later") {
  std::string text = tailnet_policy(R"(  "grants": [{"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:443"]}],
  "acls": [{"action": "accept", "src": ["alice@example.com", "bob@example.org"], "dst": ["tag:web:443"], "proto": "tcp"},
           {"action": "accept", "src": ["alice@example.com"], "dst": ["tag:db:*"]}])");
  LintReport r = lint_text(text);
  auto red = of_kind(r, LintKind::RedundantRule);
  REQUIRE(red.size() == 1);
  CHECK(lc(red[0].pos) == at(text, R"({"action": "accept", "src": ["alice@example.com", "bob)"));
  CHECK(covering(red[0]) == std::vector<std::string>{at(text, R"({"src": ["group:eng"])")});
}

TEST_CASE("lint: a deny after an accept that covers it never applies") {
  std::string text = tailnet_policy(R"(  "acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:*"]},
    {"action": "accept", "src": ["tag:web"], "dst": ["tag:db:5432"]},
    {"action": "deny", "src": ["alice@example.com"], "dst": ["tag:web:22"]},
    {"action": "deny", "src": ["alice@example.com"], "dst": ["tag:db:22"]}])");
  LintReport r = lint_text(text);
  auto dead = of_kind(r, LintKind::DeadRule);
  REQUIRE(dead.size() == 1);
  std::string accept = at(text, R"({"action": "accept", "src": ["group:eng"])");
  std::string deny = at(text, R"({"action": "deny", "src": ["alice@example.com"], "dst": ["tag:web:22"])");
  CHECK(lc(dead[0].pos) == deny);
  CHECK(dead[0].different_action);
  CHECK(covering(dead[0]) == std::vector<std::string>{accept});
  CHECK(dead[0].message ==
        "rule at " + deny + " never applies (for any devices): every flow it matches is accepted by rule at " +
            accept);
  // The deny to tag:db is not covered: nothing earlier admits alice there.
  CHECK(of_kind(r, LintKind::ShadowedRule).empty());
  CHECK(of_kind(r, LintKind::EmptyRule).empty());
}

TEST_CASE("lint: ordered acls name exactly the rules that decide, with their actions") {
  std::string text = tailnet_policy(R"(  "acls": [
    {"action": "deny", "src": ["10.0.0.5"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/8"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/16"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.1.0/24"], "dst": ["tag:web:22"]},
    {"action": "deny", "src": ["10.0.0.5"], "dst": ["tag:web:22"]}])");
  LintReport r = lint_text(text);
  std::string deny1 = at(text, R"({"action": "deny", "src": ["10.0.0.5"])");
  std::string wide = at(text, R"({"action": "accept", "src": ["10.0.0.0/8"])");
  // The /16 contains 10.0.0.5, denied first: it never applies, and both
  // deciding rules are named (the /8 alone would not say the deny).
  auto dead = of_kind(r, LintKind::DeadRule);
  REQUIRE(dead.size() == 1);
  CHECK(lc(dead[0].pos) == at(text, R"({"action": "accept", "src": ["10.0.0.0/16"])"));
  CHECK(covering(dead[0]) == std::vector<std::string>{deny1, wide});
  CHECK(dead[0].message.find("accepted by rule at " + wide + " or denied by rule at " + deny1) !=
        std::string::npos);
  // The /24 does not contain 10.0.0.5: the /8 alone decides it. The second
  // deny repeats the first: shadowed with the same action.
  auto sh = of_kind(r, LintKind::ShadowedRule);
  REQUIRE(sh.size() == 2);
  CHECK(lc(sh[0].pos) == at(text, R"({"action": "accept", "src": ["10.0.1.0/24"])"));
  CHECK(covering(sh[0]) == std::vector<std::string>{wide});
  CHECK(covering(sh[1]) == std::vector<std::string>{deny1});
  CHECK(sh[1].message.find("is shadowed (for any devices): every flow it matches is already denied by rule at " +
                           deny1) != std::string::npos);
}

TEST_CASE("lint: covering sets are minimal") {
  // The /24 is covered by the /8 alone and by the two /25s; a minimal set
  // is one of them, never all three.
  std::string text = tailnet_policy(R"(  "acls": [
    {"action": "accept", "src": ["10.0.0.0/25"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/8"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.128/25"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/24"], "dst": ["tag:web:22"]},
    {"action": "deny", "src": ["*"], "dst": ["tag:db:*"]}])");
  LintReport r = lint_text(text);
  // Ordered (there is a deny): the /24 is decided by the first /25 and the
  // /8 (the second /25 never decides anything: the /8 comes first).
  auto sh = of_kind(r, LintKind::ShadowedRule);
  REQUIRE(sh.size() == 2);
  CHECK(lc(sh[0].pos) == at(text, R"({"action": "accept", "src": ["10.0.0.128/25"])"));
  CHECK(covering(sh[0]) == std::vector<std::string>{at(text, R"({"action": "accept", "src": ["10.0.0.0/8"])")});
  CHECK(covering(sh[1]) ==
        std::vector<std::string>{at(text, R"({"action": "accept", "src": ["10.0.0.0/25"])"),
                                 at(text, R"({"action": "accept", "src": ["10.0.0.0/8"])")});

  // Accept-only, the same rules: each reported cover holds and every member
  // of it is needed (checked here with a query of its own).
  std::string text2 = tailnet_policy(R"(  "acls": [
    {"action": "accept", "src": ["10.0.0.0/25"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/8"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.128/25"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["10.0.0.0/24"], "dst": ["tag:web:22"]}])");
  Lowered l = lower_text(text2);
  LintReport r2 = verify::lint(l.pol, l.prog, l.inv, false);
  auto red = of_kind(r2, LintKind::RedundantRule);
  // The /24 and both /25s are each inside the /8; the /8 stays.
  REQUIRE(red.size() == 3);
  for (const LintFinding& f : red) {
    INFO(f.message);
    CHECK(covers(l, f.pos, f.covering));
    CHECK_FALSE(f.covering.empty());
    for (size_t k = 0; k < f.covering.size(); ++k) {
      std::vector<Pos> less = f.covering;
      less.erase(less.begin() + static_cast<long>(k));
      CHECK_FALSE(covers(l, f.pos, less));
    }
  }
  // Together, the reported rules can go: the /8 alone remains and covers all.
  for (const LintFinding& f : red) {
    CHECK(covers(l, f.pos, {l.prog.rules[1].pos}));
  }
}

TEST_CASE("lint: rules that match nothing") {
  std::string text = R"({
  "tagOwners": {"tag:web": []},
  "groups": {"group:eng": ["alice@example.com"], "group:carol": ["carol@example.com"],
             "group:nobody": []},
  "acls": [
    {"action": "accept", "src": ["group:nobody"], "dst": ["tag:web:*"]},
    {"action": "accept", "src": ["group:carol"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]}]
})";
  // An empty group admits nothing, for any devices.
  LintReport sym = lint_text(text);
  auto empty = of_kind(sym, LintKind::EmptyRule);
  REQUIRE(empty.size() == 1);
  CHECK(lc(empty[0].pos) == at(text, R"({"action": "accept", "src": ["group:nobody"])"));
  CHECK(empty[0].scope == Scope::Symbolic);
  CHECK(empty[0].covering.empty());
  // carol has no device in the tailnet: only the nodes scope says so.
  LintReport nodes = lint_text(text, true);
  auto empty2 = of_kind(nodes, LintKind::EmptyRule);
  REQUIRE(empty2.size() == 2);
  CHECK(lc(empty2[1].pos) == at(text, R"({"action": "accept", "src": ["group:carol"])"));
  CHECK(empty2[1].scope == Scope::Nodes);
  CHECK(empty2[1].message.find("(with the devices in nodes.json)") != std::string::npos);
}

TEST_CASE("lint: a cover that holds only for the devices that exist says its scope") {
  // 100.64.0.10 is alice's laptop today; another device could get it.
  std::string text = tailnet_policy(R"(  "acls": [
    {"action": "accept", "src": ["alice@example.com"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["100.64.0.10"], "dst": ["tag:web:22"]}])");
  CHECK(of_kind(lint_text(text), LintKind::RedundantRule).empty());
  auto red = of_kind(lint_text(text, true), LintKind::RedundantRule);
  REQUIRE(red.size() == 1);
  CHECK(red[0].scope == Scope::Nodes);
  CHECK(lc(red[0].pos) == at(text, R"({"action": "accept", "src": ["100.64.0.10"])"));
}

TEST_CASE("lint: a rule with a posture is not covered by one without it the other way round") {
  std::string text = tailnet_policy(R"(  "postures": {"posture:mac": ["node:os == 'macos'"]},
  "acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"], "srcPosture": ["posture:mac"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]}])");
  LintReport r = lint_text(text);
  auto red = of_kind(r, LintKind::RedundantRule);
  // The rule without posture covers the one with it, not the reverse.
  REQUIRE(red.size() == 1);
  CHECK(lc(red[0].pos) == at(text, R"({"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"], "srcPosture")"));
}

TEST_CASE("lint: unused groups, tags, hosts and ipsets, at their names") {
  std::string text = R"({
  "groups": {"group:used": ["alice@example.com"], "group:idle": ["bob@example.org"],
             "group:owner": ["bob@example.org"], "group:tested": ["bob@example.org"]},
  "tagOwners": {"tag:web": ["group:owner"], "tag:db": ["tag:web"], "tag:idle": [],
                "tag:self": ["tag:self"]},
  "hosts": {"db": "10.9.0.5", "lan": "10.1.0.0/24", "idle-host": "10.2.0.0/16",
            "ssh-host": "10.3.0.1"},
  "ipsets": {"ipset:office": ["add lan", "add 10.0.0.0/8"], "ipset:idle": ["add 10.4.0.0/16"]},
  "acls": [{"action": "accept", "src": ["group:used", "ipset:office"], "dst": ["tag:web:22", "db:5432"]}],
  "tests": [{"src": "group:tested", "deny": ["ssh-host:22"]}]
})";
  LintReport r = lint_text(text);
  auto names = [&](LintKind k) {
    std::vector<std::string> out;
    for (const LintFinding& f : of_kind(r, k)) out.push_back(lc(f.pos));
    return out;
  };
  CHECK(names(LintKind::UnusedGroup) == std::vector<std::string>{at(text, "\"group:idle\"")});
  // tag:db is named as an owner of... no: tag:db has owner tag:web, which
  // uses tag:web; tag:db itself is never named. tag:self only names itself.
  CHECK(names(LintKind::UnusedTag) ==
        std::vector<std::string>{at(text, "\"tag:db\""), at(text, "\"tag:idle\""), at(text, "\"tag:self\"")});
  CHECK(names(LintKind::UnusedHost) == std::vector<std::string>{at(text, "\"idle-host\"")});
  CHECK(names(LintKind::UnusedIPSet) == std::vector<std::string>{at(text, "\"ipset:idle\"")});
  auto g = of_kind(r, LintKind::UnusedGroup);
  REQUIRE(g.size() == 1);
  CHECK(g[0].message.find("group \"group:idle\" is never used") == 0);
  // Without the device list, no tag is said to be uncarried.
  CHECK(of_kind(r, LintKind::UncarriedTag).empty());
}

TEST_CASE("lint: tags no device carries, only with the device list") {
  std::string text = R"({
  "tagOwners": {"tag:web": [], "tag:ghost": []},
  "acls": [{"action": "accept", "src": ["tag:ghost"], "dst": ["tag:web:22"]}]
})";
  CHECK(of_kind(lint_text(text), LintKind::UncarriedTag).empty());
  LintReport r = lint_text(text, true);
  auto u = of_kind(r, LintKind::UncarriedTag);
  REQUIRE(u.size() == 1);
  CHECK(lc(u[0].pos) == at(text, "\"tag:ghost\""));
  CHECK(u[0].message.find("no device carries \"tag:ghost\" in nodes.json") == 0);
  // And the rule from it admits nothing with these devices.
  auto e = of_kind(r, LintKind::EmptyRule);
  REQUIRE(e.size() == 1);
  CHECK(e[0].scope == Scope::Nodes);
}

TEST_CASE("lint: tests that duplicate each other") {
  std::string text = R"({
  "tagOwners": {"tag:web": []},
  "acls": [{"action": "accept", "src": ["alice@example.com"], "dst": ["tag:web:22"]}],
  "tests": [
    {"src": "alice@example.com", "accept": ["tag:web:22"], "deny": ["tag:web:80"]},
    {"src": "alice@example.com", "proto": "tcp", "accept": ["tag:web:22"]},
    {"src": "alice@example.com", "proto": "6", "accept": ["tag:web:22"], "deny": ["tag:web:443"]},
    {"src": "alice@example.com", "deny": ["tag:web:80"], "accept": ["tag:web:22"]},
    {"src": "bob@example.org", "accept": ["tag:web:22"], "deny": ["tag:web:22"]}]
})";
  LintReport r = lint_text(text);
  auto d = of_kind(r, LintKind::DuplicateTest);
  REQUIRE(d.size() == 2);
  // proto "6" is tcp: its accept entry repeats the second test's.
  CHECK(lc(d[0].pos) == at(text, R"("tag:web:22"], "deny": ["tag:web:443"])"));
  CHECK(d[0].message == "accept entry \"tag:web:22\" for src \"alice@example.com\" is already asserted at " +
                            at(text, R"("tag:web:22"]},)"));
  // The fourth test repeats the first entirely: reported as a whole.
  std::string whole = at(text, R"({"src": "alice@example.com", "deny")");
  CHECK(lc(d[1].pos) == whole);
  CHECK(d[1].message.find("test at " + whole + " repeats what is already asserted at " +
                          at(text, R"("tag:web:22"], "deny": ["tag:web:80"])")) == 0);
}

TEST_CASE("lint: findings are warnings, errors when strict") {
  std::string text = tailnet_policy(R"(  "acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:*"]},
    {"action": "accept", "src": ["alice@example.com"], "dst": ["tag:web:22"]}])");
  LintReport r = lint_text(text);
  REQUIRE_FALSE(r.findings.empty());
  Diagnostics warn, err;
  verify::to_diagnostics(r, "policy.hujson", false, warn);
  verify::to_diagnostics(r, "policy.hujson", true, err);
  CHECK_FALSE(warn.has_errors());
  CHECK(warn.items().size() == r.findings.size());
  CHECK(err.error_count() == r.findings.size());
  CHECK(err.items()[0].code == std::string(verify::lint_code(r.findings[0].kind)));
  CHECK(err.items()[0].file == "policy.hujson");
}

namespace {

// Flows between every pair of device addresses (same family) for a few
// ports around every port bound the rules name, on TCP, UDP and ICMP.
std::vector<ir::Flow> device_flows(const ir::Program& prog, const Inventory& inv) {
  std::vector<Addr> addrs;
  for (const Device& d : inv.devices) addrs.insert(addrs.end(), d.addresses.begin(), d.addresses.end());
  for (const Prefix& p : inv.approved_subnet_routes()) addrs.push_back(p.addr);
  std::set<uint16_t> ports = {0, 22, 80, 443, 65535};
  for (const ir::Rule& r : prog.rules) {
    for (const ir::DstGroup& g : r.dst) {
      for (const PortRange& pr : g.ports) {
        ports.insert(pr.first);
        ports.insert(pr.last);
        if (pr.last < 65535) ports.insert(static_cast<uint16_t>(pr.last + 1));
      }
    }
  }
  std::vector<ir::Flow> out;
  for (const Addr& s : addrs) {
    for (const Addr& d : addrs) {
      if (s.family != d.family) continue;
      for (uint16_t port : ports) {
        for (uint8_t proto : {uint8_t(6), uint8_t(17), uint8_t(1)}) out.push_back({s, d, proto, port});
      }
    }
  }
  return out;
}

bool is_rule_finding(LintKind k) {
  return k == LintKind::DeadRule || k == LintKind::ShadowedRule || k == LintKind::RedundantRule ||
         k == LintKind::EmptyRule;
}

}  // namespace

TEST_CASE("lint: on every accepted conformance policy, removing all reported rules changes no decision") {
  size_t cases = 0, removed = 0, flows = 0;
  for (const auto& path : conformance::case_files({"acl", "grant", "routes"})) {
    std::string err;
    auto c = conformance::load_case(path, &err);
    REQUIRE_MESSAGE(c, err);
    if (c->code != 200 || !c->policy || c->diags.has_errors()) continue;
    ir::Program prog = lower(*c->policy, c->inventory);
    LintReport r = verify::lint(*c->policy, prog, c->inventory, true);
    ++cases;
    std::set<uint64_t> gone;
    for (const LintFinding& f : r.findings) {
      INFO(c->id, ": ", f.message);
      CHECK(f.kind != LintKind::Incomplete);
      if (is_rule_finding(f.kind)) gone.insert(f.pos.offset);
    }
    if (gone.empty()) continue;
    ir::Program pruned;
    pruned.has_deny = prog.has_deny;
    for (const ir::Rule& rule : prog.rules) {
      if (rule.is_cap() || !gone.count(rule.pos.offset)) {
        pruned.rules.push_back(rule);
        pruned.rules.back().id = pruned.rules.size() - 1;
      }
    }
    removed += prog.rules.size() - pruned.rules.size();
    ir::Evaluator before(prog, c->inventory), after(pruned, c->inventory);
    for (const ir::Flow& f : device_flows(prog, c->inventory)) {
      ++flows;
      if (before.decide(f).verdict != after.decide(f).verdict) {
        FAIL(c->id, ": removing the reported rules changes ", to_string(f.src), " -> ", to_string(f.dst),
             ":", f.port, " proto ", int(f.proto));
      }
    }
  }
  MESSAGE(cases, " policies, ", removed, " reported rules removed, ", flows, " flows compared");
  CHECK(cases > 200);
  CHECK(removed > 5);
}

TEST_CASE("lint: conformance policies checked by hand") {
  auto findings = [](const std::string& folder, const std::string& id) {
    std::string err;
    auto c = conformance::load_case(conformance::cases_dir() / folder / (id + ".json"), &err);
    REQUIRE_MESSAGE(c, err);
    REQUIRE(c->policy);
    ir::Program prog = lower(*c->policy, c->inventory);
    std::vector<std::string> out;
    for (const LintFinding& f : verify::lint(*c->policy, prog, c->inventory, true).findings) {
      if (is_rule_finding(f.kind)) out.push_back(std::string(verify::lint_code(f.kind)) + " " + f.message);
    }
    return out;
  };
  // * -> group:admins:22 and * -> odin:22, group:admins being odin alone.
  CHECK(findings("acl", "acl-mr05") ==
        std::vector<std::string>{"redundant-rule rule at 12:5 is redundant (for any devices): every flow it "
                                 "matches is also accepted by rule at 3:5"});
  // * -> autogroup:self:* covers odin -> odin:*.
  CHECK(findings("acl", "acl-d08") ==
        std::vector<std::string>{"redundant-rule rule at 1:69 is redundant (for any devices): every flow it "
                                 "matches is also accepted by rule at 1:10"});
  // An empty group as the only source.
  CHECK(findings("routes", "routes-f8-route-enabled-acl-denies") ==
        std::vector<std::string>{"empty-rule rule at 3:5 matches no flow (for any devices): its sources, "
                                 "destinations, ports and protocols admit nothing together"});
  // Distinct sources and destinations: nothing to say.
  CHECK(findings("acl", "acl-a01").empty());
}

TEST_CASE("lint: a grant that also gives capabilities is not called redundant") {
  std::string text = tailnet_policy(R"(  "grants": [
    {"src": ["group:eng"], "dst": ["tag:web"], "ip": ["*"]},
    {"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:443"], "app": {"example.com/cap/web": [{}]}},
    {"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:80"]}])");
  auto red = of_kind(lint_text(text), LintKind::RedundantRule);
  REQUIRE(red.size() == 1);
  CHECK(lc(red[0].pos) == at(text, R"({"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:80"]})"));
}
