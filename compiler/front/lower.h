// Lowering: a decoded Policy plus an Inventory become the IR (ir.h).
//
// The policy is assumed valid (parse_policy reported no errors); lowering
// resolves selectors (resolve.h) and fixes the rule order Tailscale compiles
// in: grants first, then acls, each in policy order. Lowering itself never
// fails: a reference that resolves to nothing gives an empty set, exactly as
// an undefined-but-tolerated user does on Tailscale.
#pragma once

#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"

namespace aclc {

ir::Program lower(const policy::Policy& pol, const Inventory& inv);

}  // namespace aclc
