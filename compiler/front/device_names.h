// aclc dialect: device names where Tailscale needs a `hosts` entry, and as
// group members. The front end classifies such a bare name without knowing
// the devices; this check, run once the inventory is known, reports every
// name that is neither a `hosts` alias nor a device.
#pragma once

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"

namespace aclc {

// Appends an error for each device-name selector (SelectorKind::Name with
// host_alias == false) that names no device of `inv`. With no inventory
// (inv == nullptr) each such name is an error that asks for --nodes.
void check_device_names(const policy::Policy& pol, const Inventory* inv,
                        Diagnostics& diags);

}  // namespace aclc
