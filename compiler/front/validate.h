// Reference and semantic checks over a decoded Policy, with Tailscale's
// messages: undefined tags, groups, hosts, ipsets and postures, where each
// autogroup may appear, grants' dst and via rules, capability names, SSH
// rules, nodeAttrs and sshTests destinations.
//
// validate_policy runs the checks that need only the policy; the check of
// SSH `localpart:*@<domain>` users needs the tailnet's user domains and is
// separate so the caller can run it once the inventory is known.
#pragma once

#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"

namespace aclc::policy {

// Appends every finding to diags, in source order within each check.
void validate_policy(const Policy& policy, Diagnostics& diags);

// For each SSH rule's `users` entry "localpart:*@<domain>", reports
// `[ssh] <domain> is not associated with this Tailnet and cannot be used in
// user:*@<domain> expressions` unless <domain> is one of `user_domains`
// (compared case-insensitively).
void check_ssh_user_domains(const Policy& policy,
                            const std::vector<std::string>& user_domains,
                            Diagnostics& diags);

}  // namespace aclc::policy
