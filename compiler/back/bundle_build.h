// From the compiler's per-device tables to signed bundles (the format is
// compiler/bundle/bundle.h), and back for checking.
//
// A bundle's filter is the device's table::Table, zone by zone, unchanged:
// the table is already canonical and minimal, and the bundle keeps it so.
// Its peers are the devices it must hold WireGuard sessions with (as
// peers::Visibility decides): each peer's allowed IPs are the peer's addresses plus its approved routes (the
// addresses WireGuard will accept from it and route to it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/back/table.h"
#include "compiler/bundle/bundle.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ipset.h"

namespace aclc::bundle {

struct Stamp {
  std::string revision;     // policy revision
  uint64_t serial = 0;
  uint64_t issued_at = 0;   // Unix seconds
  uint64_t expires_at = 0;  // Unix seconds
};

AddrSet to_addrset(const IPSet& s);
IPSet to_ipset(const AddrSet& s);

// The filter section of a bundle, and back. from_filter throws
// std::invalid_argument (table::Table's check) on a structure that is not a
// table.
std::vector<Zone> to_filter(const table::Table& t);
table::Table from_filter(const std::vector<Zone>& zones);

// The bundle of inv.devices[device]: its table, and `peers` (indexes into
// inv.devices) in the order given. A peer without a WireGuard key in the
// inventory is listed without one.
Bundle make_bundle(const Inventory& inv, size_t device, const table::Table& t,
                   const std::vector<size_t>& peers, const Stamp& stamp);

}  // namespace aclc::bundle
