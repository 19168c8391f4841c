// The bundle's filter as the enforcer reads it: an index built once per
// installed bundle that answers, without allocating,
//   * is an address this device's (its own addresses or a zone the table
//     covers),
//   * which table cell admits a new flow (the same verdict as
//     bundle::Bundle::allows, plus which cell gave it, for the counters),
//   * does any rule at all admit src -> dst (Tailscale's rule for ICMP
//     echo: "if any port is open to an IP, allow ICMP to it").
//
// Cells are numbered densely in bundle order (zone, class, cell), so that a
// counter per cell is an array index. The bundle carries no rule ids, so
// cells are what the counters can name. Echo admitted through the any-rule
// union counts in one extra slot, kEchoCell == cell_count().
#ifndef ACLC_RUNTIME_FILTER_TABLE_VIEW_H_
#define ACLC_RUNTIME_FILTER_TABLE_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "compiler/bundle/bundle.h"

namespace aclc::runtime::filter {

class TableView {
 public:
  // Keeps `bundle` alive for as long as the view exists.
  explicit TableView(std::shared_ptr<const bundle::Bundle> bundle);

  const bundle::Bundle& bundle() const { return *bundle_; }

  // The zone holding dst, or -1.
  int zone_of(uint8_t family, bundle::u128 dst) const;
  // One of the device's own addresses (bundle.addresses).
  bool is_own(uint8_t family, bundle::u128 dst) const;
  // One of the device's own addresses, or in a zone.
  bool is_local(uint8_t family, bundle::u128 dst) const;

  // The cell that admits this new flow in zone `zone` (from zone_of(dst)),
  // or -1. Equals Bundle::allows(family, src, dst, proto, port) exactly.
  int cell_for(int zone, uint8_t family, bundle::u128 src, uint8_t proto, uint16_t port) const;

  // Any cell of any class of the zone admits src (any protocol, any port).
  bool any_rule_admits(int zone, uint8_t family, bundle::u128 src) const;

  size_t cell_count() const { return cells_.size(); }
  size_t echo_cell() const { return cells_.size(); }  // the extra counter slot

  struct CellName {
    uint16_t zone, klass;
    uint32_t cell;
    const bundle::ProtoClass* protos;  // the class (its protocols)
    uint16_t port_first, port_last;
  };
  const CellName& cell_name(size_t index) const { return cells_[index]; }

 private:
  std::shared_ptr<const bundle::Bundle> bundle_;
  bundle::AddrSet own_;                       // the device's own addresses
  std::vector<bundle::AddrSet> any_source_;   // per zone: union of its cells' sources
  std::vector<std::vector<uint32_t>> base_;   // per zone, per class: first cell index
  std::vector<CellName> cells_;
};

}  // namespace aclc::runtime::filter

#endif  // ACLC_RUNTIME_FILTER_TABLE_VIEW_H_
