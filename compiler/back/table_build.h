// Building a device's Table from the IR.
//
// The table of device D equals ir::Evaluator::decide for every flow whose
// destination D enforces (enforced_addresses): same rules, same order, same
// first-match over acls when the program has deny rules, same autogroup:self
// and `via` resolution. Outside those destinations the table allows nothing:
// such packets are not D's to filter.
#pragma once

#include <cstddef>
#include <memory>

#include "compiler/back/table.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"

namespace aclc::table {

// What device d enforces, as Tailscale distributes filters: its own
// addresses, its approved subnet routes, and, on an exit node, the internet
// (IPSet::internet()).
IPSet enforced_addresses(const Device& d);

// Builds tables for many devices of one program. Construction indexes the
// program once (via routes, rule sets). Work is shared across calls: a
// destination's filter is computed once per distinct set of rules covering
// it, and a cell's sources once per distinct set of source sets, so devices
// that receive the same rules (same tags, same owner) cost a look-up; the
// table is the same as a fresh Builder would give. Memory grows with the
// distinct filters seen, not with the devices. Not thread-safe (for_device
// fills those memos). The Program and Inventory must outlive the Builder.
class Builder {
 public:
  Builder(const ir::Program& prog, const Inventory& inv);
  ~Builder();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  // The table of inv.devices[device].
  Table for_device(size_t device) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aclc::table
