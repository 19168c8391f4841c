// The reference evaluator: does the policy allow one packet flow, and which
// rule decides it. Simple on purpose: it walks the rules and tests set
// membership, so that the verifier and the compiled tables can be checked
// against it.
//
// Semantics, for a flow (src address, dst address, IP protocol, dst port):
//   * A rule matches when src is in its sources, and for one of its dst
//     groups dst is in a target and the port in the ports, and the protocol
//     is in its protocols (absent `proto` = TCP, UDP, ICMP, ICMPv6). Ports
//     are compared literally for every protocol (the client's ICMP and TCP
//     non-SYN leniencies belong to the data-plane model, not here).
//     autogroup:self is resolved on the device that owns dst. A `via` rule
//     matches only a dst that a router carrying one of its via tags
//     enforces (its addresses, approved subnet routes, and the internet if
//     it is an approved exit node). Capability (app) rules carry no packets and never
//     match.
//   * Accept-only policy (Tailscale's language): allowed iff some rule
//     matches; the deciding rule is the first match in compilation order
//     (grants, then acls).
//   * With aclc's deny rules: the acls are an ordered list and the first
//     matching acl decides (accept or deny), whatever the grants say; only
//     when no acl matches do the grants decide (accept if one matches). So an
//     explicit deny cannot be undone by a grant, and a grant adds access
//     only where the acls are silent.
//   * Nothing matches: denied, with no deciding rule.
// Routing is not modelled: a flow to an address no node owns or routes is
// still "allowed" if a rule admits it.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"

namespace aclc::ir {

struct Flow {
  Addr src;
  Addr dst;
  uint8_t proto = 6;
  uint16_t port = 0;
};

enum class Verdict { Allow, Deny };

struct Decision {
  Verdict verdict = Verdict::Deny;
  const Rule* rule = nullptr;  // the deciding rule; nullptr: nothing matched
};

class Evaluator {
 public:
  // The Program and Inventory must outlive the Evaluator.
  Evaluator(const Program& prog, const Inventory& inv);

  // Whether one rule admits the flow (ignoring its action).
  bool matches(const Rule& rule, const Flow& f) const;

  Decision decide(const Flow& f) const;

  // Every packet rule (accept or deny) that matches, in compilation order:
  // the set form a checker needs (shadowing, redundancy, explanations).
  std::vector<const Rule*> matching_rules(const Flow& f) const;

 private:
  const Program& prog_;
  const Inventory& inv_;
  std::vector<IPSet> via_routes_;  // per rule: where its via routers route
};

}  // namespace aclc::ir
