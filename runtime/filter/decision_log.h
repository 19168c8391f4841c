// The filter's audit trail: one JSON object per line, written to a file
// descriptor, for the decisions a token bucket lets through.
//
//   {"time":"2025-06-01T12:00:00.123456789Z","verdict":"drop","dir":"in",
//    "reason":"no-rule","proto":6,"src":"100.64.0.1","sport":40001,
//    "dst":"100.64.0.2","dport":22,"suppressed":0}
//
// (one line; ICMP adds "icmp_type" and "icmp_code"). "suppressed" is the
// number of decisions the limiter withheld since the previous line, so the
// trail says how much it left out. Defaults follow Tailscale's node filter:
// drops 1 per 5 s with a burst of 10, accepts not logged; each kind can be
// off, rate-limited or "all".
//
// Each line is one write() (atomic for pipes and O_APPEND files); a line
// that cannot be written whole is counted, never retried, so a slow or full
// sink cannot stall the data path for long. The limiter runs on the
// monotonic clock the filter is given; the timestamp is wall-clock time.
// Thread-safe. Formatting allocates nothing and happens only for lines the
// limiter lets through.
#ifndef ACLC_RUNTIME_FILTER_DECISION_LOG_H_
#define ACLC_RUNTIME_FILTER_DECISION_LOG_H_

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "runtime/filter/packet.h"
#include "runtime/filter/verdict.h"
#include "runtime/wg/limits.h"

namespace aclc::runtime::filter {

enum class LogMode : uint8_t { kOff, kLimited, kAll };

struct DecisionLogConfig {
  int fd = -1;  // not owned; -1: log nothing
  LogMode drops = LogMode::kLimited;
  wg::Duration drop_interval = std::chrono::seconds(5);  // one token per interval
  uint32_t drop_burst = 10;
  LogMode accepts = LogMode::kOff;
  wg::Duration accept_interval = std::chrono::seconds(10);
  uint32_t accept_burst = 3;
  // Unix time in nanoseconds; nullptr: CLOCK_REALTIME. Tests fix it.
  int64_t (*wall_clock_ns)() = nullptr;
};

struct Decision {
  Verdict verdict;
  Direction direction = Direction::kInbound;
  FlowKey flow;            // as parsed; all zero for a malformed packet
  bool icmp = false;       // ICMP / ICMPv6: also log type and code
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
};

// The longest line format_line() writes, newline included.
inline constexpr size_t kMaxLogLine = 384;

// Formats one line (with its newline) into buf, which holds at least
// kMaxLogLine bytes; returns its length.
size_t format_line(const Decision& d, int64_t unix_ns, uint64_t suppressed, char* buf);

class DecisionLog {
 public:
  explicit DecisionLog(const DecisionLogConfig& config);

  // Whether decisions of this kind are logged at all: a cheap test the
  // filter makes before building a Decision.
  bool wants(bool pass) const;

  // Logs the decision if its bucket has a token at `now`.
  void record(const Decision& d, wg::Instant now);

  uint64_t lines_written() const;
  uint64_t suppressed_total() const;
  uint64_t write_errors() const;

 private:
  struct Bucket {
    LogMode mode;
    wg::Duration interval;
    double capacity;
    double tokens;
    wg::Instant last{};
    bool started = false;
    bool take(wg::Instant now);
  };

  DecisionLogConfig config_;
  mutable std::mutex mu_;
  Bucket drops_, accepts_;
  uint64_t pending_suppressed_ = 0;  // withheld since the last line
  uint64_t suppressed_total_ = 0;
  uint64_t written_ = 0;
  uint64_t write_errors_ = 0;
};

}  // namespace aclc::runtime::filter

#endif  // ACLC_RUNTIME_FILTER_DECISION_LOG_H_
