// Classifying a selector string ("tag:prod", "alice@example.com",
// "10.0.0.0/8", "[fd7a::1]", "web", ...) into a policy::Selector.
//
// This is syntax only, in the order of tailscale-policy.md §3.1: "*", then an
// address, prefix or range, then anything with "@" (a login or
// "user:*@domain"), then the group:/tag:/autogroup:/ipset:/posture: prefixes,
// then a bare name. Whether a name, tag or group is defined is checked later
// against the whole policy (validate.h), because sections may come in any
// order.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"

namespace aclc::policy {

// Removes leading and trailing whitespace, as Tailscale trims selector and
// user strings.
std::string_view trim_space(std::string_view s);

// Classifies `text` (trimmed by the caller). Fails only when the string
// cannot be any selector: then returns nullopt and sets *error, e.g.
// `"%bogus%": invalid address`, `"10.0.0.1/40": invalid address`,
// `tag names must start with a letter, after 'tag:'`. A bare name is
// returned as SelectorKind::Name with host_alias=false; the caller decides
// whether it is a `hosts` alias.
std::optional<Selector> classify_selector(std::string_view text, Pos pos,
                                          std::string* error);

// Tailscale's tailcfg.CheckTag on a full "tag:<name>": nullopt when valid,
// otherwise its message (`tag names must start with a letter, after
// 'tag:'`, `tag names can only contain numbers, letters, or dashes`, ...).
std::optional<std::string> check_tag_name(std::string_view tag);

// A bare name that could be a device's name (aclc resolves it against the
// inventory): DNS-label characters, letters, digits, '-', '_' and '.'.
bool plausible_device_name(std::string_view name);

// The autogroups Tailscale knows ("member", "tagged", "self", "internet",
// "danger-all", "admin", "owner", ...; also "nonroot" for SSH users).
bool known_autogroup(std::string_view name);

}  // namespace aclc::policy
