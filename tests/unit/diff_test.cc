#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "compiler/ir/evaluate.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/diff.h"
#include "verifier/encode.h"

using namespace aclc;
using namespace aclc::testing;

namespace {

struct Pair {
  Lowered old_side, new_side;
  verify::SemanticDiff diff;
};

Pair diff_of(const std::string& old_rules, const std::string& new_rules) {
  Pair p{lower_text(policy_with(old_rules)), lower_text(policy_with(new_rules)), {}};
  verify::DiffSide a{&p.old_side.prog, "old.hujson", {}};
  verify::DiffSide b{&p.new_side.prog, "new.hujson", {}};
  p.diff = verify::diff_programs(a, b, p.old_side.inv);
  return p;
}

ir::Flow flow(const char* src, const char* dst, uint8_t proto, uint16_t port) {
  return ir::Flow{*parse_addr(src), *parse_addr(dst), proto, port};
}

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kSctp = 132;

// Checks every flow against decide() on both sides: the diff holds the flow
// iff the verdicts differ, in exactly one group, attributed to the deciding
// rules. Returns the number of changed flows seen.
size_t check_against_decide(const Pair& p, const std::vector<ir::Flow>& flows) {
  ir::Evaluator eo(p.old_side.prog, p.old_side.inv);
  ir::Evaluator en(p.new_side.prog, p.new_side.inv);
  size_t changed = 0;
  for (const ir::Flow& f : flows) {
    ir::Decision o = eo.decide(f), n = en.decide(f);
    size_t holders = 0;
    const verify::FlowGroup* g = nullptr;
    for (const auto* list : {&p.diff.added, &p.diff.removed}) {
      for (const verify::FlowGroup& x : *list) {
        if (x.src.contains(f.src) && x.dst.contains(f.dst) && x.protos.contains(f.proto) &&
            x.ports.contains(f.port)) {
          ++holders;
          g = &x;
        }
      }
    }
    INFO("flow " << to_string(f.src) << " -> " << to_string(f.dst) << " proto " << int(f.proto)
                 << " port " << f.port);
    if (o.verdict == n.verdict) {
      REQUIRE(holders == 0);
      continue;
    }
    ++changed;
    REQUIRE(holders == 1);
    bool added = n.verdict == ir::Verdict::Allow;
    REQUIRE(g->change == (added ? verify::Change::Added : verify::Change::Removed));
    const ir::Decision& allowing = added ? n : o;
    const ir::Decision& denying = added ? o : n;
    REQUIRE(allowing.rule != nullptr);
    CHECK(g->rule.id == allowing.rule->id);
    CHECK(g->blocker.has_value() == (denying.rule != nullptr));
    if (denying.rule && g->blocker) CHECK(g->blocker->id == denying.rule->id);
  }
  return changed;
}

// Addresses where selectors start and end, devices, and strangers.
std::vector<Addr> probe_addresses(const Inventory& inv, std::mt19937& rng) {
  std::vector<Addr> out;
  for (const Device& d : inv.devices) {
    for (const Addr& a : d.addresses) out.push_back(a);
  }
  for (const char* s : {"100.64.0.3", "100.64.0.0", "100.127.255.255", "100.115.92.5",
                        "10.1.0.5", "10.1.1.9", "10.1.255.255", "10.2.0.0", "10.9.0.5",
                        "10.255.255.255", "9.255.255.255", "192.0.2.1", "8.8.8.8",
                        "172.16.0.1", "fd7a:115c:a1e0::2", "2001:db8::1", "::1"}) {
    out.push_back(*parse_addr(s));
  }
  std::uniform_int_distribution<uint32_t> any;
  for (int i = 0; i < 8; ++i) out.push_back(Addr(any(rng)));
  return out;
}

std::vector<ir::Flow> random_flows(const Inventory& inv, std::mt19937& rng, size_t n) {
  std::vector<Addr> addrs = probe_addresses(inv, rng);
  const uint16_t ports[] = {0, 21, 22, 23, 53, 79, 80, 81, 442, 443, 444, 999, 1000, 1500,
                            2000, 2001, 8080, 65535};
  const uint8_t protos[] = {kTcp, kUdp, kIcmp, 58, kSctp, 47, 0, 255};
  std::uniform_int_distribution<size_t> pick_addr(0, addrs.size() - 1);
  std::uniform_int_distribution<size_t> pick_port(0, std::size(ports) - 1);
  std::uniform_int_distribution<size_t> pick_proto(0, std::size(protos) - 1);
  std::vector<ir::Flow> out;
  for (size_t i = 0; i < n; ++i) {
    Addr s = addrs[pick_addr(rng)], d = addrs[pick_addr(rng)];
    if (s.family != d.family) continue;
    out.push_back({s, d, protos[pick_proto(rng)], ports[pick_port(rng)]});
  }
  return out;
}

// A random policy over the fixture's selectors: acls (deny rules among them
// when `deny`) and grants, with ports, protocols, self and via.
std::string random_rules(std::mt19937& rng, bool deny) {
  const char* srcs[] = {"*", "group:eng", "alice@example.com", "bob@example.org", "tag:web",
                        "tag:db", "lan", "db", "ipset:office", "100.64.0.0/30",
                        "autogroup:member", "alaptop", "10.1.0.0/16"};
  const char* dsts[] = {"tag:web", "*", "db", "lan", "10.0.0.0/8", "alaptop", "autogroup:self",
                        "100.64.0.2", "tag:router", "bob", "autogroup:internet", "tag:db"};
  const char* ports[] = {"22", "80-443", "*", "22,443", "1000-2000", "53"};
  const char* user_srcs[] = {"group:eng", "alice@example.com", "bob@example.org",
                             "autogroup:member"};
  const char* protos[] = {"", "tcp", "udp", "sctp"};
  const char* ips[] = {"tcp:443", "*", "udp:53", "22", "icmp:*", "tcp:1000-2000"};
  auto pick = [&](auto& arr) { return arr[std::uniform_int_distribution<size_t>(0, std::size(arr) - 1)(rng)]; };
  std::uniform_int_distribution<int> coin(0, 99);
  std::string acls, grants;
  int n_acls = 1 + coin(rng) % 5, n_grants = coin(rng) % 3;
  for (int i = 0; i < n_acls; ++i) {
    std::string dst = pick(dsts), dst2 = coin(rng) < 30 ? pick(dsts) : "";
    // autogroup:self takes user sources only.
    bool self = dst == "autogroup:self" || dst2 == "autogroup:self";
    auto src = [&] { return std::string(self ? pick(user_srcs) : pick(srcs)); };
    std::string r = std::string("{\"action\": \"") + (deny && coin(rng) < 35 ? "deny" : "accept") +
                    "\", \"src\": [\"" + src() + "\"";
    if (coin(rng) < 30) r += ", \"" + src() + "\"";
    r += "], \"dst\": [\"" + dst + ":" + pick(ports) + "\"";
    if (!dst2.empty()) r += ", \"" + dst2 + ":" + pick(ports) + "\"";
    r += "]";
    std::string proto = pick(protos);
    if (!proto.empty()) r += ", \"proto\": \"" + proto + "\"";
    r += "}";
    acls += (acls.empty() ? "" : ",\n") + r;
  }
  for (int i = 0; i < n_grants; ++i) {
    std::string dst = pick(dsts);
    std::string src = dst == "autogroup:self" ? pick(user_srcs) : pick(srcs);
    std::string r = "{\"src\": [\"" + src + "\"], \"dst\": [\"" + dst +
                    "\"], \"ip\": [\"" + pick(ips) + "\"";
    if (coin(rng) < 30) r += std::string(", \"") + pick(ips) + "\"";
    r += "]";
    if (coin(rng) < 20 && dst != "autogroup:self") r += ", \"via\": [\"tag:router\"]";
    r += "}";
    grants += (grants.empty() ? "" : ",\n") + r;
  }
  std::string out = "\"acls\": [" + acls + "]";
  if (!grants.empty()) out += ", \"grants\": [" + grants + "]";
  return out;
}

}  // namespace

TEST_CASE("diff: equivalent policies give an empty diff") {
  // Split destinations, reordered rules and a duplicated rule change nothing.
  auto p = diff_of(R"("acls": [
      {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22,80"]},
      {"action": "accept", "src": ["*"], "proto": "udp", "dst": ["db:53"]}])",
                   R"("acls": [
      {"action": "accept", "src": ["*"], "proto": "udp", "dst": ["10.9.0.5:53"]},
      {"action": "accept", "src": ["alice@example.com"], "dst": ["tag:web:80"]},
      {"action": "accept", "src": ["group:eng"], "dst": ["web1:22", "web2:22,80"]},
      {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web:22", "tag:web:80"]}])");
  CHECK(p.diff.equivalent());
}

TEST_CASE("diff: an added port is one group, attributed to the new rule") {
  auto p = diff_of(R"("acls": [
      {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]}])",
                   R"("acls": [
      {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]},
      {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web:443"], "proto": "tcp"}])");
  REQUIRE(p.diff.added.size() == 1);
  CHECK(p.diff.removed.empty());
  const verify::FlowGroup& g = p.diff.added[0];
  CHECK(g.rule.origin == "acls[1]");
  CHECK(g.rule.file == "new.hujson");
  CHECK(g.rule.pos.line == 8);
  CHECK_FALSE(g.blocker.has_value());
  CHECK(g.ports == PortSet::of({443, 443}));
  CHECK(g.protos == ProtoSet{kTcp});
  CHECK(g.src == p.new_side.inv.find_device("bob")->address_set());
  CHECK(g.dst_labels == std::vector<std::string>{"tag:web"});
  CHECK(g.dst_whole);
  // web1 and web2, by inventory index.
  CHECK(g.dst_devices == std::vector<size_t>{0, 1});
  CHECK(g.src_devices == std::vector<size_t>{4});
}

TEST_CASE("diff: narrowing a rule removes exactly the difference") {
  auto p = diff_of(R"("acls": [
      {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:80-443"]}])",
                   R"("acls": [
      {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:443"]}])");
  CHECK(p.diff.added.empty());
  REQUIRE(p.diff.removed.size() == 1);
  const verify::FlowGroup& g = p.diff.removed[0];
  CHECK(g.rule.file == "old.hujson");
  PortSet expect;
  expect.add(PortRange{80, 442});
  CHECK(g.ports == expect);
  CHECK(g.protos == ProtoSet::default_protos());
}

TEST_CASE("diff: a deny rule's removals name the deny as the blocker") {
  auto p = diff_of(R"("acls": [
      {"action": "accept", "src": ["*"], "dst": ["tag:web:*"]}])",
                   R"("acls": [
      {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:web:22"]},
      {"action": "accept", "src": ["*"], "dst": ["tag:web:*"]}])");
  CHECK(p.diff.added.empty());
  REQUIRE(p.diff.removed.size() == 1);
  const verify::FlowGroup& g = p.diff.removed[0];
  REQUIRE(g.blocker.has_value());
  CHECK(g.blocker->origin == "acls[0]");
  CHECK(g.blocker->deny);
  CHECK(g.rule.origin == "acls[0]");
  CHECK(g.ports == PortSet::of({22, 22}));
  CHECK(verify::find_flow(p.diff, flow("100.64.0.20", "100.64.0.1", kTcp, 22)) == &g);
  CHECK(verify::find_flow(p.diff, flow("100.64.0.20", "100.64.0.1", kTcp, 23)) == nullptr);
  CHECK(verify::find_flow(p.diff, flow("100.64.0.10", "100.64.0.1", kTcp, 22)) == nullptr);
}

TEST_CASE("diff: autogroup:self changes are per owner") {
  auto p = diff_of(R"("acls": [])",
                   R"("acls": [
      {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:22"]}])");
  CHECK(p.diff.removed.empty());
  REQUIRE_FALSE(p.diff.added.empty());
  for (const verify::FlowGroup& g : p.diff.added) {
    CHECK(g.via_self);
    CHECK(g.dst_labels == std::vector<std::string>{"autogroup:self"});
  }
  // alice's laptop reaches her phone, not bob.
  CHECK(verify::find_flow(p.diff, flow("100.64.0.10", "100.64.0.11", kTcp, 22)) != nullptr);
  CHECK(verify::find_flow(p.diff, flow("100.64.0.10", "100.64.0.20", kTcp, 22)) == nullptr);
  std::mt19937 rng(7);
  CHECK(check_against_decide(p, random_flows(p.new_side.inv, rng, 20000)) > 0);
}

TEST_CASE("diff: grants after deny acls and via routers agree with decide") {
  auto p = diff_of(R"("acls": [
      {"action": "deny", "src": ["group:eng"], "dst": ["lan:*"]}],
      "grants": [{"src": ["*"], "dst": ["10.1.0.0/16"], "ip": ["*"], "via": ["tag:router"]}])",
                   R"("acls": [
      {"action": "deny", "src": ["bob@example.org"], "dst": ["lan:22"]}],
      "grants": [{"src": ["*"], "dst": ["10.0.0.0/8"], "ip": ["tcp:*"], "via": ["tag:router"]}])");
  std::mt19937 rng(11);
  CHECK(check_against_decide(p, random_flows(p.new_side.inv, rng, 20000)) > 0);
}

TEST_CASE("diff: on random policies the diff is exactly where decide() differs") {
  std::mt19937 rng(20240601);
  size_t changed = 0, pairs = 0;
  for (int i = 0; i < 60; ++i) {
    bool deny = i % 2 == 1;
    std::string a = random_rules(rng, deny), b = random_rules(rng, deny);
    // Half the pairs are one edit apart: the common review case.
    if (i % 4 < 2) {
      b = a;
      auto at = b.find("\"22");
      if (at != std::string::npos) b.replace(at, 3, "\"443");
    }
    INFO("old: " << a << "\nnew: " << b);
    auto p = diff_of(a, b);
    changed += check_against_decide(p, random_flows(p.new_side.inv, rng, 4000));
    ++pairs;
    // The diff is symmetric: swapping the versions swaps added and removed.
    auto q = diff_of(b, a);
    CHECK(q.diff.added.size() == p.diff.removed.size());
    CHECK(q.diff.removed.size() == p.diff.added.size());
  }
  CHECK(pairs == 60);
  CHECK(changed > 300);  // the random pairs do differ (733 with this seed)
}

TEST_CASE("diff: identical input gives identical groups") {
  std::mt19937 rng(5);
  std::string a = random_rules(rng, true), b = random_rules(rng, true);
  auto p1 = diff_of(a, b);
  auto p2 = diff_of(a, b);
  REQUIRE(p1.diff.added.size() == p2.diff.added.size());
  for (size_t i = 0; i < p1.diff.added.size(); ++i) {
    CHECK(p1.diff.added[i].src == p2.diff.added[i].src);
    CHECK(p1.diff.added[i].dst == p2.diff.added[i].dst);
    CHECK(p1.diff.added[i].rule.id == p2.diff.added[i].rule.id);
  }
}

TEST_CASE("diff: Z3 agrees: each direction is empty exactly when old and not new is UNSAT") {
  std::mt19937 rng(99);
  for (int i = 0; i < 24; ++i) {
    bool deny = i % 2 == 1;
    std::string a = random_rules(rng, deny), b = random_rules(rng, deny);
    if (i % 3 == 0) b = a;  // equivalent pairs too
    INFO("old: " << a << "\nnew: " << b);
    auto p = diff_of(a, b);
    z3::context ctx;
    verify::Encoding eo(ctx, p.old_side.pol, p.old_side.prog, p.old_side.inv, verify::Scope::Nodes);
    verify::Encoding en(ctx, p.new_side.pol, p.new_side.prog, p.new_side.inv, verify::Scope::Nodes);
    for (bool added : {true, false}) {
      z3::solver s = verify::make_solver(ctx);
      s.add(eo.domain() && en.domain());
      s.add(added ? (en.allowed() && !eo.allowed()) : (eo.allowed() && !en.allowed()));
      verify::Answer ans = verify::check(s);
      REQUIRE(ans != verify::Answer::Unknown);
      const auto& groups = added ? p.diff.added : p.diff.removed;
      CHECK((ans == verify::Answer::Unsat) == groups.empty());
      if (ans == verify::Answer::Sat) {
        // Z3's witness lies in a group of the right direction.
        ir::Flow f = en.flow(s.get_model());
        const verify::FlowGroup* g = verify::find_flow(p.diff, f);
        REQUIRE(g != nullptr);
        CHECK(g->change == (added ? verify::Change::Added : verify::Change::Removed));
      }
    }
  }
}
