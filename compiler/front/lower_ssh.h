// Lowering the `ssh` section: policy::SshRule -> ir::SshRule, with sources
// and destinations resolved against the inventory (resolve.h).
//
// The policy is assumed valid (parse_policy reported no errors). Sources keep
// Tailscale's multiplicity: each src selector contributes its devices in
// inventory order, and autogroup:tagged contributes a device once per tag it
// carries (recorded: a device with two tags is two principals). "*" becomes
// the "any" principal. An IP or host alias in src is a bare address; a
// wider prefix, a range or an ipset has no principal form and contributes
// nothing. `users` entries: "autogroup:nonroot", "localpart:*@<domain>"
// (non-empty domain) are special, anything else is a literal Unix user
// (Tailscale maps even "group:x" literally).
#pragma once

#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ssh.h"

namespace aclc {

ir::SshProgram lower_ssh(const policy::Policy& pol, const Inventory& inv);

// One `users` entry as the IR reads it.
ir::SshUser classify_ssh_user(const std::string& text);

}  // namespace aclc
