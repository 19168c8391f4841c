// A device's inbound packet filter as a decision structure.
//
// A Table answers "does the policy allow this new flow to this device?" for
// (source address, destination address, IP protocol, destination port) in a
// few binary searches over flat sorted arrays, without allocating:
//
//   destination zone  ->  protocol class  ->  port cell  ->  source intervals
//
//   * Zone: destination addresses the device enforces (its own addresses,
//     approved subnet routes, the internet on an exit node; see
//     table_build.h) that share one filter. A device without routes usually
//     has a single zone holding its IPv4 and IPv6 address.
//   * ProtoClass: protocols sharing one port partition.
//   * Cell: a port range and the sources allowed on it.
//
// Deny rules do not exist here: the builder flattens them by set difference,
// so a Table is the set of allowed flows, nothing else. It is canonical and
// minimal: zones with equal filters are one zone, protocols with equal cells
// are one class, adjacent cells with equal sources are one cell, source sets
// are merged intervals, and empty cells, classes and zones are dropped. Two
// tables allow the same flows iff they compare equal.
//
// What a Table does NOT model (the data plane's business, not the policy's):
// a Tailscale node also passes ICMP echo when any rule admits the address
// pair, TCP packets of established flows, and replies (tailscale-policy.md
// §5.4). The table is the policy's answer for a new flow, compared literally
// on port for every protocol, exactly as ir::Evaluator::decide.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/addr.h"
#include "compiler/ir/ipset.h"
#include "compiler/ir/portset.h"

namespace aclc::table {

// A port range of one protocol class and the sources allowed on it.
struct Cell {
  PortRange ports;
  IPSet sources;  // never empty
  friend bool operator==(const Cell&, const Cell&) = default;
};

// Protocols that share one port partition.
struct ProtoClass {
  ProtoSet protos;          // never empty
  std::vector<Cell> cells;  // ascending by port, disjoint, never empty
  friend bool operator==(const ProtoClass&, const ProtoClass&) = default;
};

// Destination addresses that share one filter.
struct Zone {
  IPSet dsts;                       // never empty
  std::vector<ProtoClass> classes;  // disjoint protocols, by lowest protocol
  friend bool operator==(const Zone&, const Zone&) = default;
};

class Table {
 public:
  // Allows nothing.
  Table();
  // Takes a structure (from the builder or a decoded bundle) and indexes it.
  // Throws std::invalid_argument, saying what is wrong, unless: zones have
  // disjoint non-empty dsts, each zone's classes disjoint non-empty protocol
  // sets, each class's cells ascending, disjoint, with non-empty sources.
  // The structure is kept as given (not re-canonicalized).
  explicit Table(std::vector<Zone> zones);

  Table(const Table&);
  Table& operator=(const Table&);
  Table(Table&&) noexcept;
  Table& operator=(Table&&) noexcept;
  ~Table();

  // The verdict for a new flow. Allocation-free; O(log) in each dimension.
  // Addresses of different families for src and dst are never allowed.
  bool allows(const Addr& src, const Addr& dst, uint8_t proto, uint16_t port) const;

  const std::vector<Zone>& zones() const { return zones_; }
  bool empty() const { return zones_.empty(); }

  // Source intervals in the index, each distinct source set counted once
  // (the table's "prefix" count).
  size_t source_interval_count() const;
  // Bytes of the lookup index (flat arrays), excluding zones().
  size_t index_bytes() const;

  friend bool operator==(const Table& a, const Table& b) { return a.zones_ == b.zones_; }

 private:
  struct Index;
  std::vector<Zone> zones_;
  Index* index_;
};

// Human-readable dump, one line per cell:
//   "zone 100.64.0.1 fd7a:115c:a1e0::1 | proto 6,17 | ports 22-22 | src ...".
// Deterministic; for tests, debugging and `aclc compile --format table`.
std::string to_text(const Table& t);

}  // namespace aclc::table
