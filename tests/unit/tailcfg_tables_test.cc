// The tailcfg back end and the per-device tables agree exactly: for every
// node, the table built from the FilterRules the node receives equals the
// table built from the policy for that node. tailcfg stays rule-shaped (it
// must match Tailscale byte for byte), so instead of being produced from the
// tables it is checked against them, flow for flow, by structural equality
// of canonical tables (table.h: equal tables allow the same flows).
//
// Both sides go through the same table builder, restricted the same way to
// what the node enforces (table::enforced_addresses): the FilterRules are
// read back into an accept-only ir::Program whose rules carry no `via` and
// no autogroup:self (tailcfg has resolved both for the node).
#include <doctest/doctest.h>

#include <optional>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "compiler/back/table.h"
#include "compiler/back/table_build.h"
#include "compiler/back/tailcfg.h"
#include "tests/conformance/case.h"
#include "tests/unit/lower_fixture.h"

using namespace aclc;
using namespace aclc::testing;

namespace {

// A SrcIPs or DstPorts "IP" string as addresses: "*", "a", "a/n", "a-b".
// nullopt for anything else, so a malformed wire string fails the test
// instead of silently matching nothing.
std::optional<IPSet> strict_wire_set(const std::string& s) {
  if (s == "*") return IPSet::all_addresses();
  IPSet out;
  if (auto r = parse_range(s)) {
    out.add(*r);
    return out;
  }
  if (auto p = parse_addr_or_prefix(s)) {
    out.add(*p);
    return out;
  }
  return std::nullopt;
}

// One node's FilterRules as an accept-only program: one rule per
// FilterRule, one dst group per DstPorts entry. IPProto absent or empty is
// Tailscale's default (TCP, UDP, ICMP, ICMPv6). CapGrant rules filter no
// packets and are left out. Returns nullopt (with `error` set) on a wire
// string or protocol the reader does not understand.
std::optional<ir::Program> program_of(const std::vector<tailcfg::FilterRule>& rules, std::string* error) {
  ir::Program prog;
  for (const tailcfg::FilterRule& fr : rules) {
    if (!fr.cap_grant.empty()) {
      if (!fr.dst_ports.empty()) {
        *error = "a FilterRule with both CapGrant and DstPorts";
        return std::nullopt;
      }
      continue;
    }
    ir::Rule r;
    r.id = prog.rules.size();
    r.index = r.id;
    r.origin = ir::Origin::Acl;
    r.action = ir::Action::Accept;
    if (!fr.src_ips) {
      *error = "a FilterRule without SrcIPs";
      return std::nullopt;
    }
    for (const std::string& s : *fr.src_ips) {
      auto set = strict_wire_set(s);
      if (!set) {
        *error = "unparsable SrcIPs entry \"" + s + "\"";
        return std::nullopt;
      }
      r.src |= *set;
    }
    r.src_wire = *fr.src_ips;
    for (const tailcfg::NetPortRange& d : fr.dst_ports) {
      auto set = strict_wire_set(d.ip);
      if (!set) {
        *error = "unparsable DstPorts IP \"" + d.ip + "\"";
        return std::nullopt;
      }
      ir::Target t;
      t.kind = d.ip == "*" ? ir::TargetKind::Wildcard : ir::TargetKind::Prefix;
      t.ip = d.ip;
      t.addrs = std::move(*set);
      ir::DstGroup g;
      g.targets.push_back(std::move(t));
      g.ports.push_back(d.ports);
      g.text = d.ip;
      r.dst.push_back(std::move(g));
    }
    if (fr.ip_proto && !fr.ip_proto->empty()) {
      ProtoSet protos;
      for (int p : *fr.ip_proto) {
        if (p < 0 || p > 255) {
          *error = "IPProto " + std::to_string(p) + " out of range";
          return std::nullopt;
        }
        protos.add(static_cast<uint8_t>(p));
      }
      r.proto = protos;
    }
    prog.rules.push_back(std::move(r));
  }
  return prog;
}

// Compares, node by node, the policy's table with the table of the node's
// FilterRules. Returns the number of nodes whose table allows something
// (so callers can check the comparison was not vacuous).
size_t check_nodes(const ir::Program& prog, const Inventory& inv, const std::string& label) {
  tailcfg::Compiler comp(prog, inv);
  table::Builder policy_tables(prog, inv);
  size_t non_empty = 0;
  for (size_t n = 0; n < inv.devices.size(); ++n) {
    const std::string& host = inv.devices[n].hostname;
    std::string err;
    auto node_prog = program_of(comp.for_node(n), &err);
    if (!node_prog) {
      FAIL_CHECK(label << " node " << host << ": " << err);
      continue;
    }
    table::Table want = policy_tables.for_device(n);
    table::Table got = table::Builder(*node_prog, inv).for_device(n);
    if (want != got) {
      FAIL_CHECK(label << " node " << host << ": the tailcfg filter's table differs from the policy's table\n"
                       << "policy:\n" << table::to_text(want) << "tailcfg:\n" << table::to_text(got));
    }
    non_empty += !want.empty();
  }
  return non_empty;
}

}  // namespace

TEST_CASE("tailcfg tables: the reader parses the wire format exactly") {
  CHECK(strict_wire_set("*") == IPSet::all_addresses());
  REQUIRE(strict_wire_set("100.64.0.1-100.64.0.9"));
  CHECK(strict_wire_set("100.64.0.1-100.64.0.9")->contains(*parse_addr("100.64.0.9")));
  CHECK_FALSE(strict_wire_set("100.64.0.1-100.64.0.9")->contains(*parse_addr("100.64.0.10")));
  REQUIRE(strict_wire_set("10.0.0.0/8"));
  CHECK(strict_wire_set("10.0.0.0/8")->contains(*parse_addr("10.255.0.1")));
  CHECK_FALSE(strict_wire_set("tag:web"));
  CHECK_FALSE(strict_wire_set(""));

  // A filter that differs from the policy by one port shows up as unequal
  // tables: the comparison can fail.
  Lowered l = lower_text(policy_with(R"("acls": [
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22"]}])"));
  size_t web1 = static_cast<size_t>(l.inv.find_device("web1") - l.inv.devices.data());
  auto rules = tailcfg::Compiler(l.prog, l.inv).for_node(web1);
  REQUIRE(rules.size() == 1);
  std::string err;
  auto same = program_of(rules, &err);
  REQUIRE_MESSAGE(same, err);
  table::Table want = table::Builder(l.prog, l.inv).for_device(web1);
  CHECK_FALSE(want.empty());
  CHECK(table::Builder(*same, l.inv).for_device(web1) == want);
  rules[0].dst_ports[0].ports.last = 23;
  auto wider = program_of(rules, &err);
  REQUIRE_MESSAGE(wider, err);
  CHECK(table::Builder(*wider, l.inv).for_device(web1) != want);
  // Empty IPProto is the default set, like an absent one.
  rules[0].dst_ports[0].ports.last = 22;
  rules[0].ip_proto = std::vector<int>{};
  auto empty_proto = program_of(rules, &err);
  REQUIRE_MESSAGE(empty_proto, err);
  CHECK(table::Builder(*empty_proto, l.inv).for_device(web1) == want);
  rules[0].ip_proto = std::vector<int>{6};
  auto tcp_only = program_of(rules, &err);
  REQUIRE_MESSAGE(tcp_only, err);
  CHECK(table::Builder(*tcp_only, l.inv).for_device(web1) != want);
  // Malformed wire strings are refused, not read as nothing.
  rules[0].dst_ports[0].ip = "web1";
  CHECK_FALSE(program_of(rules, &err));
  CHECK(err.find("web1") != std::string::npos);
}

TEST_CASE("tailcfg tables: every node's filter is exactly its table on every conformance case") {
  size_t cases = 0, nodes = 0;
  for (const auto& path : conformance::case_files({"acl", "grant", "routes"})) {
    std::string err;
    auto c = conformance::load_case(path, &err);
    REQUIRE_MESSAGE(c, err);
    if (c->code != 200 || !c->policy || c->diags.has_errors()) continue;
    ir::Program prog = lower(*c->policy, c->inventory);
    nodes += check_nodes(prog, c->inventory, c->id);
    ++cases;
  }
  CHECK(cases > 250);
  CHECK(nodes > 500);
}

TEST_CASE("tailcfg tables: deny rules flattened into FilterRules give exactly the policy's tables") {
  const char* policies[] = {
      // The deny policy of tailcfg_test.cc: acl deny over tags, a UDP deny
      // over a range, a self deny, and a grant an acl deny overrides.
      R"(
    "acls": [
      {"action": "accept", "src": ["alice@example.com"], "dst": ["web1:22"]},
      {"action": "deny", "src": ["group:eng"], "dst": ["tag:web:1-1000"]},
      {"action": "deny", "src": ["100.64.0.0/28"], "proto": "udp", "dst": ["*:53"]},
      {"action": "deny", "src": ["autogroup:member"], "dst": ["autogroup:self:22"]},
      {"action": "accept", "src": ["*"], "dst": ["*:*"]}],
    "grants": [{"src": ["bob@example.org"], "dst": ["tag:web"], "ip": ["tcp:443", "sctp:9"]}])",
      // Denies carving holes in subnet routes and the exit node's internet.
      R"(
    "acls": [
      {"action": "deny", "src": ["bob@example.org"], "dst": ["10.1.0.0/24:*"]},
      {"action": "deny", "src": ["*"], "proto": "tcp", "dst": ["autogroup:internet:25"]},
      {"action": "accept", "src": ["autogroup:member"], "dst": ["10.1.0.0/16:*", "autogroup:internet:*"]},
      {"action": "accept", "src": ["group:eng"], "dst": ["autogroup:self:*"]}])",
  };
  size_t nodes = 0;
  for (const char* p : policies) {
    Lowered l = lower_text(policy_with(p));
    REQUIRE(l.prog.has_deny);
    nodes += check_nodes(l.prog, l.inv, "deny policy");
  }
  CHECK(nodes >= 6);
}
