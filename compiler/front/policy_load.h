// Reading a policy file: HuJSON syntax, then decoding into a Policy with the
// shape, name and reference checks Tailscale's control plane makes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"

namespace aclc::policy {

// Decodes policy text. Every problem is appended to `diags` with its
// position, in the order Tailscale would find them (the first error is the
// one Tailscale's API would answer). Returns nullopt only when the text is
// not HuJSON at all or its top level is not an object; otherwise returns the
// policy decoded as far as possible, and the caller checks diags.has_errors().
std::optional<Policy> parse_policy(std::string_view text,
                                   const std::string& file, Dialect dialect,
                                   Diagnostics& diags);

}  // namespace aclc::policy
