// The semantic diff of a policy change: every flow one version allows and
// the other does not, grouped by the rule that decides it.
//
// Method: exact set algebra over the IR, no solver. The flow space (src
// address, dst address, protocol, port) is cut into cells on which both
// programs decide uniformly:
//   * destination atoms: the addresses split by every dst group's targets,
//     every `via` rule's routed set and (when autogroup:self is used) every
//     device, from both programs;
//   * per destination atom, source atoms: split by the sources of the rules
//     that reach that atom (self_sources for autogroup:self);
//   * protocol atoms: 0..255 split by every rule's protocol set;
//   * ports: per cell, walking the rules in decision order and subtracting
//     what each already decided gives each port range its deciding rule.
// Every flow lies in exactly one cell and both programs decide a cell
// uniformly, so comparing the two decisions per cell is a proof: an empty
// diff means the programs are equivalent on the inventory they were lowered
// against (for every address, not only the devices' addresses). The
// semantics are ir::Evaluator::decide's (accept-union, or first match over
// acls with aclc deny rules, grants deciding only where no acl matches).
//
// Cost: O(destination atoms x rules reaching them x their source
// intervals); no address or port is ever enumerated.
//
// Presentation: cells that share the deciding rule, the blocking rule on the
// other side, the protocols and the ports are merged into boxes
// (sources x destinations), each labelled with the rule's selectors that
// cover it. The boxes are disjoint and their union is exactly the change.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/ir/device.h"
#include "compiler/ir/evaluate.h"
#include "compiler/ir/ipset.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/portset.h"

namespace aclc::verify {

// A source selector as written and the addresses it admits.
struct NamedSet {
  std::string text;
  IPSet addrs;
};

// One version of the policy.
struct DiffSide {
  const ir::Program* program = nullptr;
  // Where its rules are: "policy.hujson", or "HEAD~1:policy.hujson" for a
  // git revision.
  std::string file;
  // Per rule id, the rule's source selectors (for labels only). May be left
  // empty: sources are then labelled by address.
  std::vector<std::vector<NamedSet>> src_selectors;
};

enum class Change { Added, Removed };

// A rule of one side, as the report names it.
struct RuleRef {
  size_t id = 0;            // ir::Rule::id in its program
  std::string file;
  Pos pos;
  std::string origin;       // "acls[3]", "grants[0]", "default allow-all"
  bool deny = false;        // an aclc deny rule
};

// A box of changed flows: every (src in `src`, dst in `dst`, protocol in
// `protos`, port in `ports`) flow changed the same way for the same reason.
struct FlowGroup {
  Change change = Change::Added;
  // Added: the NEW rule that now allows it. Removed: the OLD rule that
  // allowed it.
  RuleRef rule;
  // The deny rule deciding the flow on the side that denies it (OLD for
  // added, NEW for removed); none when simply no rule allows it there.
  std::optional<RuleRef> blocker;
  IPSet src, dst;
  ProtoSet protos;
  PortSet ports;
  bool via_self = false;  // granted through autogroup:self
  // The rule's source selectors that overlap `src`, in rule order; whole
  // when `src` is exactly their union.
  std::vector<std::string> src_labels;
  bool src_whole = false;
  // The rule's dst selectors (as written, without ports) that overlap
  // `dst`; "autogroup:self" for via_self.
  std::vector<std::string> dst_labels;
  bool dst_whole = false;
  // Inventory devices with an address in src / dst, in inventory order.
  std::vector<size_t> src_devices, dst_devices;
};

struct SemanticDiff {
  std::vector<FlowGroup> added;    // sorted by rule, then labels, then sets
  std::vector<FlowGroup> removed;
  bool equivalent() const { return added.empty() && removed.empty(); }
};

// Diffs two programs lowered against the same inventory.
SemanticDiff diff_programs(const DiffSide& old_side, const DiffSide& new_side,
                           const Inventory& inv);

// The group holding one concrete flow, or nullptr when the two versions
// decide it alike. For tests and for explaining a single flow.
const FlowGroup* find_flow(const SemanticDiff& diff, const ir::Flow& f);

}  // namespace aclc::verify
