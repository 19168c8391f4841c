// Tailscale accepts a policy whose groups name people who are not users of
// the tailnet, and warns about each one (GET /acl?details=1):
// `"group:eng": user not found: "bob@example.com"`. aclc serve does the
// same; its users are the logins it knows: the names of its API keys, the
// owners its auth keys give devices, and the owners of registered devices.
#pragma once

#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"

namespace aclc::control {

// Appends one warning per group member (a user login) that is none of
// `logins`. A "name@" member (Tailscale's form for a login without a
// domain) is known when some login starts with it.
void warn_unknown_group_members(const policy::Policy& pol, const std::vector<std::string>& logins,
                                Diagnostics& out);

}  // namespace aclc::control
