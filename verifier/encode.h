// The policy's access semantics as Z3 formulas over one packet flow.
//
// A flow is (family, src address, dst address, IP protocol, dst port): a
// Boolean `v6` picks the family, IPv4 addresses are 32-bit and IPv6
// addresses 128-bit bit-vectors (kept apart, never mapped into each other),
// the protocol is 8 bits and the port 16. Prefixes are encoded as equalities
// on the top bits (extract), ranges of addresses as unions of prefixes, and
// only ports use unsigned comparisons (verification.md §5.1).
//
// Two scopes:
//   * Scope::Nodes: the devices that exist. The rules are the IR (lower()
//     against the inventory): src/dst are plain addresses and every
//     selector means the addresses it resolved to. matches()/allowed()/
//     decides() agree with ir::Evaluator on every flow.
//   * Scope::Symbolic: every device that could join. Each side (src, dst)
//     also carries an identity: whether the address is a device (only
//     addresses in the tailnet range, 100.64.0.0/10 minus 100.115.92.0/23
//     and fd7a:115c:a1e0::/48, can be), whether it is tagged, which tags,
//     and which user owns it (any user the policy or the inventory knows, or
//     a new one). Identity selectors (users, groups, tags, autogroups) are
//     formulas over that identity, not address sets; address selectors stay
//     address sets; a device name means that device's addresses (with any
//     identity). A proof in this scope holds for any inventory. `via` rules
//     are not restricted to routed destinations there (a router for any
//     route may join), so they admit more than on a concrete inventory.
//
// All variables are named constants ("src4", "src.tag:prod", ...), so two
// Encodings built in the same z3::context (two versions of a policy, for a
// diff) share the packet and identity variables.
//
// Semantics (the same as ir::Evaluator::decide): without deny rules a flow
// is allowed iff some rule matches; with aclc deny rules the first matching
// acl decides and the grants only decide when no acl matches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <z3++.h>

#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/evaluate.h"
#include "compiler/ir/ir.h"

namespace aclc::verify {

enum class Scope { Nodes, Symbolic };
enum class Side { Src, Dst };

const char* scope_name(Scope s);  // "nodes" / "symbolic"

// The identity a symbolic witness gives one side of a flow.
struct Identity {
  bool device = false;             // false: an address no device has
  bool tagged = false;
  std::vector<std::string> tags;   // the policy's tags it carries, sorted
  std::string user;                // owner login (untagged devices)
  bool new_user = false;           // the owner is a user nobody knows yet
                                   // (user is then "new-user@<domain>")
  std::string name;                // the inventory device at the address,
                                   // if any
};

class Encoding {
 public:
  // `prog` must be lower(pol, inv); all three must outlive the Encoding.
  // `inv` may be empty (no --nodes).
  Encoding(z3::context& ctx, const policy::Policy& pol, const ir::Program& prog,
           const Inventory& inv, Scope scope);

  z3::context& ctx() const { return ctx_; }
  Scope scope() const { return scope_; }
  const ir::Program& program() const { return prog_; }
  const Inventory& inventory() const { return inv_; }
  const policy::Policy& policy() const { return pol_; }

  // Packet variables.
  const z3::expr& v6() const { return v6_; }                 // Bool
  const z3::expr& addr(Side s, Family f) const;              // bv32 / bv128
  const z3::expr& proto() const { return proto_; }           // bv8
  const z3::expr& port() const { return port_; }             // bv16

  // Constraints every query must include (identity well-formedness in the
  // symbolic scope; `true` in the nodes scope).
  z3::expr domain() const;

  // Rule `i` (index into program().rules) admits the flow, ignoring its
  // action. Capability rules never match.
  z3::expr matches(size_t i) const;
  // The policy allows the flow.
  z3::expr allowed() const;
  // Rule `i` is the rule that decides the flow (Decision::rule).
  z3::expr decides(size_t i) const;

  // The side's address is in the set.
  z3::expr in_set(const IPSet& set, Side s) const;
  z3::expr port_in(std::span<const PortRange> ports) const;
  z3::expr proto_in(const ProtoSet& protos) const;
  // A policy selector names the side: its resolved addresses (nodes scope)
  // or its identity formula (symbolic scope). autogroup:self is not a
  // one-side selector: it yields `false` here.
  z3::expr selects(const policy::Selector& sel, Side s) const;
  // The side is some device of the inventory (nodes scope), or any device
  // (symbolic scope).
  z3::expr is_device(Side s) const;

  // The side has the identity of device `d` in the inventory (nullptr: the
  // address is no device). Always true in the nodes scope, where identity
  // is the address. With it the symbolic scope reproduces the inventory.
  z3::expr has_identity_of(Side s, const Device* d) const;

  // The packet is exactly this flow (src and dst of one family).
  z3::expr is_flow(const ir::Flow& f) const;

  // Reading a model (model completion on).
  ir::Flow flow(const z3::model& m) const;
  Identity identity(const z3::model& m, Side s) const;

 private:
  z3::expr symbolic_identity_selects(const policy::Selector& sel, Side s) const;
  z3::expr self_match(const ir::Rule& r, size_t rule_index) const;
  z3::expr rule_sources(const ir::Rule& r) const;
  z3::expr dst_group(const ir::Rule& r, const ir::DstGroup& g) const;
  z3::expr ident(Side s, const std::string& what) const;
  z3::expr prefix_test(const Prefix& p, Side s) const;

  z3::context& ctx_;
  const policy::Policy& pol_;
  const ir::Program& prog_;
  const Inventory& inv_;
  Scope scope_;
  z3::expr v6_, src4_, src6_, dst4_, dst6_, proto_, port_;
  std::vector<z3::expr> matches_;   // per rule
  std::vector<z3::expr> decides_;   // per rule
  std::optional<z3::expr> allowed_;
  std::vector<std::string> users_;  // symbolic: the known logins (keys)
  IPSet inventory_addresses_;
  Inventory people_;                // symbolic: device i is owned by users_[i]
  std::vector<std::string> tags_;   // symbolic: the policy's tags
  std::vector<std::string> domains_;  // symbolic: domains of user:*@domain
};

// Outcome of one query. Unknown (resource limit) is never a pass.
enum class Answer { Sat, Unsat, Unknown };

// Resource units per query: deterministic, unlike a wall-clock timeout.
inline constexpr unsigned kDefaultRlimit = 50'000'000;

// A QF_BV solver (incremental bit-blasting) with fixed random seeds and a
// resource limit on every check.
z3::solver make_solver(z3::context& ctx, unsigned rlimit = kDefaultRlimit);

// s.check(assumptions), mapped to Answer.
Answer check(z3::solver& s, const z3::expr_vector& assumptions);
Answer check(z3::solver& s);

}  // namespace aclc::verify
