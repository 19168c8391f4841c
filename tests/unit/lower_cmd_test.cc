// aclc lower's rewrite: accept-only, valid in Tailscale's dialect, and the
// same filters on every device of the tailnet (routers, exit nodes, self,
// via, deny first-match included), checked three ways: equal tables, a Z3
// proof, and decide() on sampled flows.
#include <doctest/doctest.h>

#include <random>

#include "compiler/back/accept_only.h"
#include "compiler/back/policy_print.h"
#include "compiler/back/table_build.h"
#include "tests/unit/lower_fixture.h"
#include "verifier/translation_validation.h"

using namespace aclc;
using aclc::testing::lower_text;
using aclc::testing::policy_with;

namespace {

std::vector<table::Table> tables_of(const testing::Lowered& l) {
  table::Builder b(l.prog, l.inv);
  std::vector<table::Table> out;
  for (size_t i = 0; i < l.inv.devices.size(); ++i) out.push_back(b.for_device(i));
  return out;
}

// Lowers, prints, reads back as Tailscale, and checks equivalence.
std::string check_lowering(const std::string& rules) {
  auto orig = lower_text(policy_with(rules));
  auto tables = tables_of(orig);
  Diagnostics d;
  auto lowered = lowering::to_accept_only(orig.pol, orig.inv, tables, d);
  REQUIRE(lowered);
  std::string text = policy::print_policy(lowered->policy);
  for (const auto& acl : lowered->policy.acls) CHECK(acl.action == policy::Action::Accept);

  auto back = lower_text(text, Dialect::Tailscale);  // fails on any error
  CHECK_FALSE(back.prog.has_deny);
  auto back_tables = tables_of(back);
  if (!lowered->port_zero_dropped) {
    for (size_t i = 0; i < tables.size(); ++i)
      CHECK_MESSAGE(back_tables[i] == tables[i], orig.inv.devices[i].hostname << "\n"
                                                     << table::to_text(tables[i]) << "vs\n"
                                                     << table::to_text(back_tables[i]));
  }
  IPSet enforced;
  for (const Device& dev : orig.inv.devices) enforced |= table::enforced_addresses(dev);
  z3::context ctx;
  verify::Encoding a(ctx, orig.pol, orig.prog, orig.inv, verify::Scope::Nodes);
  verify::Encoding b(ctx, back.pol, back.prog, back.inv, verify::Scope::Nodes);
  auto eq = verify::prove_equivalent(a, b, enforced, lowered->port_zero_dropped);
  CHECK_MESSAGE(eq.proved(), (eq.witness ? verify::describe_flow(*eq.witness) : "unknown"));

  // Sampled flows between device addresses and routed space.
  ir::Evaluator ea(orig.prog, orig.inv), eb(back.prog, back.inv);
  std::vector<Addr> addrs;
  for (const Device& dev : orig.inv.devices)
    for (const Addr& x : dev.addresses) addrs.push_back(x);
  addrs.push_back(*parse_addr("10.1.2.3"));
  addrs.push_back(*parse_addr("8.8.8.8"));
  addrs.push_back(*parse_addr("10.9.0.5"));
  std::mt19937 rng(11);
  for (int i = 0; i < 3000; ++i) {
    ir::Flow f{addrs[rng() % addrs.size()], addrs[rng() % addrs.size()],
               std::array<uint8_t, 4>{6, 17, 1, 58}[rng() % 4],
               std::array<uint16_t, 6>{1, 22, 53, 80, 443, 5432}[rng() % 6]};
    if (f.src.family != f.dst.family || !enforced.contains(f.dst)) continue;
    CHECK_MESSAGE((ea.decide(f).verdict == eb.decide(f).verdict), verify::describe_flow(f));
  }
  return text;
}

}  // namespace

TEST_CASE("lower: deny rules with first-match order become accept-only rules") {
  std::string text = check_lowering(R"("acls": [
    {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22,80-443", "lan:*"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
    {"action": "accept", "src": ["tag:web"], "proto": "tcp", "dst": ["db:5432", "autogroup:internet:443"]},
    {"action": "deny", "src": ["*"], "dst": ["*:*"]},
    {"action": "accept", "src": ["*"], "dst": ["*:*"]}
  ],
  "grants": [{"src": ["tag:router"], "dst": ["tag:db"], "ip": ["udp:53", "tcp:53", "sctp:*"]}])");
  CHECK(text.find("\"deny\"") == std::string::npos);
  CHECK(text.find("\"sctp\"") != std::string::npos);
}

TEST_CASE("lower: accept-only policies, via, exit nodes and grants") {
  check_lowering(R"("acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}])");
  check_lowering(R"("acls": [])");
  check_lowering(R"("grants": [
    {"src": ["group:eng"], "dst": ["tag:web", "lan"], "ip": ["*"]},
    {"src": ["autogroup:member"], "dst": ["autogroup:internet"], "ip": ["tcp:443"], "via": ["tag:exit"]},
    {"src": ["alice@example.com"], "dst": ["10.1.0.0/16"], "ip": ["tcp:22"], "via": ["tag:router"]}
  ])");
}

TEST_CASE("lower: port 0 allowed beside some other ports cannot be written; said and proved elsewhere") {
  auto orig = lower_text(policy_with(R"("acls": [
    {"action": "deny", "src": ["*"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["*"], "dst": ["*:*"]}])"));
  auto tables = tables_of(orig);
  Diagnostics d;
  auto lowered = lowering::to_accept_only(orig.pol, orig.inv, tables, d);
  REQUIRE(lowered);
  CHECK(lowered->port_zero_dropped);
  bool noted = false;
  for (const auto& n : lowered->notes) noted |= n.find("port 0") != std::string::npos;
  CHECK(noted);
  check_lowering(R"("acls": [
    {"action": "deny", "src": ["*"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["*"], "dst": ["*:*"]}])");
}

TEST_CASE("lower: device names leave groups; capability grants stay with addresses") {
  auto orig = lower_text(policy_with(R"("acls": [{"action": "accept", "src": ["web1"], "dst": ["bob:22"]}],
    "grants": [{"src": ["alaptop"], "dst": ["web1"], "app": {"example.com/cap/x": [{}]}}])"));
  auto tables = tables_of(orig);
  Diagnostics d;
  auto lowered = lowering::to_accept_only(orig.pol, orig.inv, tables, d);
  REQUIRE(lowered);
  std::string text = policy::print_policy(lowered->policy);
  CHECK(text.find("\"alaptop\"") == std::string::npos);
  CHECK(text.find("\"100.64.0.10\", \"fd7a:115c:a1e0::a\"") != std::string::npos);
  CHECK(text.find("example.com/cap/x") != std::string::npos);
  lower_text(text, Dialect::Tailscale);
}

TEST_CASE("lower: srcPosture and device names in ssh are errors at their positions") {
  auto orig = lower_text(R"({
    "groups": {"group:ops": ["bob@example.org", "aphone"]},
    "tagOwners": {"tag:web": [], "tag:db": [], "tag:router": [], "tag:exit": []},
    "postures": {"posture:mac": ["node:os == 'macos'"]},
    "acls": [{"action": "accept", "src": ["*"], "dst": ["*:22"], "srcPosture": ["posture:mac"]}],
    "ssh": [{"action": "accept", "src": ["web1"], "dst": ["autogroup:self"], "users": ["root"]},
            {"action": "accept", "src": ["group:ops"], "dst": ["tag:web"], "users": ["root"]}]})");
  auto tables = tables_of(orig);
  Diagnostics d;
  CHECK_FALSE(lowering::to_accept_only(orig.pol, orig.inv, tables, d));
  REQUIRE(d.error_count() == 3);
  bool posture = false, ssh = false, group = false;
  for (const auto& e : d.items()) {
    CHECK(e.pos.known());
    posture |= e.message.find("srcPosture") != std::string::npos;
    ssh |= e.message.find("\"web1\" is a device name") != std::string::npos;
    group |= e.message.find("group:ops has the device \"aphone\"") != std::string::npos;
  }
  CHECK(posture);
  CHECK(ssh);
  CHECK(group);
}
