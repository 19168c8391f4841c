// The two forms in which the policy API returns the stored policy, as
// Tailscale's does: the HuJSON text verbatim (comments and all), or, for a
// client that sends `Accept: application/json`, the same document as plain
// JSON (comments and trailing commas gone, members in source order). The
// ETag is the stored text's either way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aclc::control {

enum class PolicyFormat { HuJson, Json };

// The form an Accept header asks for: Json when it lists application/json
// (parameters and q-values ignored) and not application/hujson; HuJson for
// anything else, a missing header included.
PolicyFormat format_for_accept(std::string_view accept);

// The policy text as indented standard JSON, or nullopt if it is not
// HuJSON (a stored policy always is). Number literals are kept as written;
// duplicate keys are kept (JSON readers take the last, as the policy
// decoder does).
std::optional<std::string> normalized_json(std::string_view hujson_text);

// "application/hujson" or "application/json".
const char* content_type(PolicyFormat f);

}  // namespace aclc::control
