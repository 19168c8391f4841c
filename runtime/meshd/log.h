// meshd's log: one line per event on stderr, where systemd's journal (or
// the operator's terminal) picks it up. Lines read
//   meshd[IFACE]: LEVEL: message
// and are written with one write() each, so lines from concurrent writers
// (there are none today, but a test harness may share the fd) never mix.
#ifndef ACLC_RUNTIME_MESHD_LOG_H_
#define ACLC_RUNTIME_MESHD_LOG_H_

#include <optional>
#include <string>
#include <string_view>

namespace aclc::meshd {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

// "error", "warning", "info", "debug" (as --log-level spells them).
std::optional<LogLevel> parse_log_level(std::string_view text);

// Process-wide settings: the threshold and the interface name in the prefix.
void set_log_level(LogLevel level);
void set_log_interface(std::string_view iface);
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view message);
inline void log_error(std::string_view m) { log(LogLevel::kError, m); }
inline void log_warning(std::string_view m) { log(LogLevel::kWarning, m); }
inline void log_info(std::string_view m) { log(LogLevel::kInfo, m); }
inline void log_debug(std::string_view m) { log(LogLevel::kDebug, m); }

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_LOG_H_
