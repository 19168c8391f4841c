// aclc lower: an aclc-dialect policy (deny rules, device names) rewritten
// as an accept-only policy in Tailscale's language, equivalent on the
// devices of one inventory.
//
// Method: every device's table (table_build.h) is already the policy's
// answer with deny flattened away, as sets of sources per destination,
// protocol and port. Each distinct (protocol, source set) becomes one
// accept rule whose dst lists, per destination prefix, the ports where
// exactly that set is allowed. Sources are printed as CIDR prefixes,
// destinations as "<ip>:<ports>" (IPv6 in the "addr/128:port" form
// Tailscale accepts). Because decide() is a function of the flow alone, the
// union of all devices' tables is the policy on everything those devices
// enforce, and Tailscale distributes each dst entry back to exactly the
// devices that enforce it.
//
// The other sections are kept, with aclc's extensions removed: device names
// as group members are dropped; device names in capability grants become
// the device's addresses; `assertions` is dropped. What cannot be lowered
// without changing meaning is an error: srcPosture on a packet rule (tables
// do not model posture) and device names in ssh rules (Tailscale's ssh takes
// no addresses).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/back/table.h"
#include "compiler/common/diag.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"

namespace aclc::lowering {

struct AcceptOnly {
  policy::Policy policy;            // dialect Tailscale
  std::vector<std::string> notes;   // what was dropped or rewritten
  // Somewhere port 0 is allowed with some but not all ports: Tailscale can
  // only write port 0 as part of "*", so the rewrite denies port 0 there
  // and is equivalent on every other port (and says so).
  bool port_zero_dropped = false;
};

// tables[i] is the table of inv.devices[i]. Errors go to diags (with the
// position of what cannot be lowered); nullopt if there are any.
std::optional<AcceptOnly> to_accept_only(const policy::Policy& pol, const Inventory& inv,
                                         const std::vector<table::Table>& tables,
                                         Diagnostics& diags);

}  // namespace aclc::lowering
