// Reading a policy file: HuJSON syntax, then decoding into a Policy with the
// shape, name and reference checks Tailscale's control plane makes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

struct LoadOptions {
  Dialect dialect = Dialect::Aclc;
  // The domains of the tailnet's users ("example.com"), from the inventory.
  // When set, SSH `localpart:*@<domain>` users are checked against it (see
  // check_ssh_user_domains); when absent that check is skipped.
  std::optional<std::vector<std::string>> user_domains;
};

// As above, with options.
std::optional<Policy> parse_policy(std::string_view text,
                                   const std::string& file,
                                   const LoadOptions& options,
                                   Diagnostics& diags);

}  // namespace aclc::policy
