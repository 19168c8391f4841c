#include "runtime/meshd/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace aclc::meshd {
namespace {

std::atomic<int> g_level{int(LogLevel::kInfo)};
std::string g_prefix = "meshd: ";

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "?";
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warning" || text == "warn") return LogLevel::kWarning;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

void set_log_level(LogLevel level) { g_level.store(int(level)); }

void set_log_interface(std::string_view iface) {
  g_prefix = "meshd[" + std::string(iface) + "]: ";
}

bool log_enabled(LogLevel level) { return int(level) <= g_level.load(); }

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  std::string line = g_prefix;
  line += level_name(level);
  line += ": ";
  // One event, one line: a message never breaks the line format.
  for (char c : message) line += (c == '\n' || c == '\r') ? ' ' : c;
  line += '\n';
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report a failing log
    p += n;
    left -= size_t(n);
  }
}

}  // namespace aclc::meshd
