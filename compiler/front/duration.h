// Go's time.ParseDuration and time.Duration.String(), for SSH
// `checkPeriod` values ("12h", "1h30m", "-1m"), so that aclc accepts and
// prints exactly what Tailscale's Go control plane does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aclc::policy {

// Nanoseconds, or nullopt with *error set to Go's message
// (`time: invalid duration "abc"`, `time: missing unit in duration "1"`,
// `time: unknown unit "x" in duration "1x"`).
std::optional<int64_t> parse_go_duration(std::string_view s,
                                         std::string* error);

// Go's Duration.String(): "200h0m0s", "1m0s", "1.5s", "500ms", "0s".
std::string format_go_duration(int64_t ns);

}  // namespace aclc::policy
