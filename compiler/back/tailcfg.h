// The tailcfg back end: per-node packet filters exactly as Tailscale's
// control plane sends them (MapResponse.PacketFilter, []tailcfg.FilterRule).
//
// Distribution (tailscale-policy.md §5.2): node N receives a rule iff one of
// its DstPorts entries applies to N, and then only those entries:
//   * "*" applies everywhere;
//   * an entry overlapping one of N's addresses or one of N's approved
//     non-exit routes is kept whole;
//   * on an exit node (approved 0.0.0.0/0 or ::/0), an entry inside the
//     internet set is kept;
//   * a `via` rule goes only to nodes carrying one of its via tags.
// Rules with identical SrcIPs and IPProto are merged by concatenating
// DstPorts without dedup; the merged rule sits where the first rule of that
// key is in compilation order (merge happens before the per-node reduction,
// as on Tailscale). CapGrant rules are never merged. autogroup:self rules are
// expanded per node.
//
// aclc's deny rules: the output stays accept-only, so deny is flattened. On
// each node every accept rule that a deny rule overlaps is replaced by its
// set difference (src, dst, ports, protocols) from the deny rules that take
// precedence (earlier acls for an acl; every acl deny for a grant; see
// evaluate.h), as several FilterRules of address ranges. That is exactly
// equivalent, not pretty.
//
// Output is deterministic: identical input gives byte-identical JSON.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/portset.h"

namespace aclc::tailcfg {

struct NetPortRange {
  std::string ip;  // "*", "100.64.0.1", "10.0.0.0/8", "a-b"
  PortRange ports;
};

struct CapGrant {
  std::vector<std::string> dsts;            // prefixes, always "a/n"
  std::vector<const ir::Capability*> caps;  // sorted by name, into the Program
};

struct FilterRule {
  // SrcIPs. Shared between the nodes that receive the same rule: big
  // tailnets repeat one SrcIPs list on thousands of nodes.
  std::shared_ptr<const std::vector<std::string>> src_ips;
  std::vector<NetPortRange> dst_ports;
  std::optional<std::vector<int>> ip_proto;  // nullopt: field omitted
  std::vector<CapGrant> cap_grant;
  size_t first_rule = 0;  // the IR rule this FilterRule starts with
};

// Compiles per-node filters. Construction indexes the program once; each
// for_node() call costs what that node receives, not rules x devices
// (autogroup:self sources are computed once per owner and kept, so a
// Compiler is not thread-safe). The Program and Inventory must outlive the
// Compiler.
class Compiler {
 public:
  Compiler(const ir::Program& prog, const Inventory& inv);
  ~Compiler();
  Compiler(const Compiler&) = delete;
  Compiler& operator=(const Compiler&) = delete;

  // The packet filter of inv.devices[device], in Tailscale's order (empty
  // for an index past the inventory).
  std::vector<FilterRule> for_node(size_t device) const;

 private:
  struct Impl;
  Impl* impl_;
};

// One node's rules as a JSON array (PascalCase fields, IPProto omitted when
// absent). `indent` > 0 pretty-prints.
std::string to_json(const std::vector<FilterRule>& rules, int indent = 0);

// {"<hostname>": [FilterRule...], ...} for every device, sorted by hostname.
std::string to_json_all(const Compiler& c, const Inventory& inv, int indent = 0);
// The same, streamed: one node's rules are held at a time, so memory stays
// at one node's filter however big the output is.
void write_json_all(const Compiler& c, const Inventory& inv, std::ostream& out, int indent = 0);

}  // namespace aclc::tailcfg
