// Helpers for the policy front-end tests: run parse_policy and render each
// finding as "line:col: message" so a test states message and position.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/front/policy_load.h"

namespace aclc::testing {

struct Loaded {
  std::optional<policy::Policy> policy;
  std::vector<std::string> errors;    // "line:col: message"
  std::vector<std::string> warnings;  // "line:col: message"
  Diagnostics diags;
};

inline Loaded load(std::string_view text, Dialect dialect = Dialect::Aclc) {
  Loaded out;
  out.policy = policy::parse_policy(text, "p.hujson", dialect, out.diags);
  for (const auto& d : out.diags.items()) {
    std::string s = std::to_string(d.pos.line) + ":" + std::to_string(d.pos.col) +
                    ": " + d.message;
    (d.severity == Severity::Error ? out.errors : out.warnings).push_back(s);
  }
  return out;
}

// The first error, or "" when there is none.
inline std::string first_error(std::string_view text,
                               Dialect dialect = Dialect::Tailscale) {
  auto l = load(text, dialect);
  return l.errors.empty() ? "" : l.errors[0];
}

}  // namespace aclc::testing
