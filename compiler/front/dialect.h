// Which language a policy is read as.
//
// Tailscale: exactly what Tailscale's control plane accepts; each aclc
// extension is an error with Tailscale's message and a suggested rewrite.
// Aclc (the default): Tailscale's language plus aclc's extensions: `"action":
// "deny"` with first-match order over `acls`, device names from the
// inventory where Tailscale needs a `hosts` entry, device names as group
// members, and an `assertions` section.
#pragma once

#include <optional>
#include <string_view>

namespace aclc {

enum class Dialect { Aclc, Tailscale };

inline std::optional<Dialect> parse_dialect(std::string_view s) {
  if (s == "aclc") return Dialect::Aclc;
  if (s == "tailscale") return Dialect::Tailscale;
  return std::nullopt;
}

inline const char* dialect_name(Dialect d) {
  return d == Dialect::Aclc ? "aclc" : "tailscale";
}

}  // namespace aclc
