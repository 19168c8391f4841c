// The typed IR: a policy's network rules with every selector resolved
// against the inventory.
//
// A Rule admits flows (src address, dst address, protocol, port): src is in
// `src`, and for some dst group the dst is in one of its targets and the port
// in its ports, and the protocol is in the rule's protocols. Besides the sets
// the IR keeps what Tailscale's wire format needs to reproduce its output
// exactly: the SrcIPs strings, one Target per DstPorts "IP" string, the port
// ranges as written, whether IPProto is absent, capability grants and `via`.
//
// Rule order (Program::rules) is Tailscale's compilation order: grants in
// policy order, then acls in policy order; a grant whose `ip` list mixes
// protocols becomes one rule per protocol (first appearance order), a grant
// with `app` becomes a capability rule (plus a companion rule for
// tailscale.com/cap/drive and /relay). A policy with neither `acls` nor
// `grants` is one implicit allow-all rule.
//
// autogroup:self is not resolved here, because it means something different
// on every destination: a DstGroup with `self` set has no targets; on
// destination device N it targets N's own addresses, from the sources
// self_sources() gives for N.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ipset.h"
#include "compiler/ir/portset.h"

namespace aclc::ir {

enum class Action : uint8_t { Accept, Deny };
enum class Origin : uint8_t { Grant, Acl, Default };

enum class TargetKind : uint8_t {
  Wildcard,  // "*": every node, every address it accepts
  Node,      // one address of one device (identity selectors)
  Prefix,    // a prefix, range or set piece, enforced where it overlaps
};

// One DstPorts "IP" value and the addresses it covers.
struct Target {
  TargetKind kind = TargetKind::Prefix;
  std::string ip;   // wire: "*", "100.64.0.1", "10.0.0.0/8", "a-b"
  IPSet addrs;      // Wildcard: all addresses
  int device = -1;  // Node: index into Inventory::devices
};

// One dst selector: its targets times its ports.
struct DstGroup {
  std::vector<Target> targets;   // empty when self
  std::vector<PortRange> ports;  // as written, in order (not merged)
  bool self = false;             // autogroup:self
  std::string text;              // the selector as written
  Pos pos;
};

// One application capability of a grant: its name and values, each value
// as compact JSON text (kept verbatim, opaque to aclc). `null_value` is the
// JSON null the companion caps carry instead of a list.
struct Capability {
  std::string name;
  std::vector<std::string> values_json;
  bool null_value = false;
};

struct Rule {
  size_t id = 0;             // index in Program::rules
  Origin origin = Origin::Acl;
  size_t index = 0;          // acls[index] or grants[index]
  Pos pos;                   // the policy entry
  Action action = Action::Accept;

  IPSet src;                              // addresses admitted as sources
  std::vector<std::string> src_wire;      // SrcIPs, sorted, unique
  std::vector<DstGroup> dst;
  std::optional<ProtoSet> proto;          // nullopt: IPProto omitted (default)
  std::vector<Capability> caps;           // non-empty: a CapGrant rule
  std::vector<std::string> via;           // tags
  bool companion = false;                 // reversed capability rule

  bool is_cap() const { return !caps.empty(); }
  bool has_self() const;
  // The protocols a client enforces for this rule.
  ProtoSet protocols() const {
    return proto ? *proto : ProtoSet::default_protos();
  }
  // "acls[3]" / "grants[0]" / "default allow-all", for messages.
  std::string origin_name() const;
};

struct Program {
  std::vector<Rule> rules;
  bool has_deny = false;
};

// autogroup:self on destination device `dst` (an index into inv.devices):
// the addresses of the same user's untagged devices that the rule admits as
// sources (a device admitted by any of its addresses counts whole). Empty if
// `dst` is tagged or ownerless.
IPSet self_sources(const Rule& rule, const Inventory& inv, size_t dst);
// The same devices as SrcIPs strings (bare addresses), sorted.
std::vector<std::string> self_sources_wire(const Rule& rule, const Inventory& inv, size_t dst);

// Tailscale's wire spelling of a prefix in DstPorts and SrcIPs: a single
// address bare, anything else "a/n".
std::string wire_prefix(const Prefix& p);

}  // namespace aclc::ir
