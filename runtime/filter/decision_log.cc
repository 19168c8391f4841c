#include "runtime/filter/decision_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace aclc::runtime::filter {
namespace {

// Appends to a fixed buffer; the caller sized it for the longest line.
struct Out {
  char* p;
  void text(const char* s) {
    size_t n = std::strlen(s);
    std::memcpy(p, s, n);
    p += n;
  }
  void digits(uint64_t v, int width = 1) {
    char tmp[20];
    int n = 0;
    do {
      tmp[n++] = char('0' + v % 10);
      v /= 10;
    } while (v != 0);
    for (; n < width; --width) *p++ = '0';
    while (n > 0) *p++ = tmp[--n];
  }
  void address(uint8_t family, u128 a) {
    if (family != 4 && family != 6) return;  // a malformed packet: ""
    unsigned char raw[16];
    char text_form[INET6_ADDRSTRLEN];
    if (family == 4) {
      uint32_t v = uint32_t(a);
      for (int i = 0; i < 4; ++i) raw[i] = uint8_t(v >> (24 - 8 * i));
    } else {
      for (int i = 0; i < 16; ++i) raw[i] = uint8_t(a >> (120 - 8 * i));
    }
    inet_ntop(family == 4 ? AF_INET : AF_INET6, raw, text_form, sizeof text_form);
    text(text_form);
  }
  // RFC 3339 UTC with nanoseconds.
  void time(int64_t unix_ns) {
    if (unix_ns < 0) unix_ns = 0;
    time_t secs = time_t(unix_ns / 1000000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    digits(uint64_t(tm.tm_year) + 1900, 4);
    *p++ = '-';
    digits(uint64_t(tm.tm_mon) + 1, 2);
    *p++ = '-';
    digits(uint64_t(tm.tm_mday), 2);
    *p++ = 'T';
    digits(uint64_t(tm.tm_hour), 2);
    *p++ = ':';
    digits(uint64_t(tm.tm_min), 2);
    *p++ = ':';
    digits(uint64_t(tm.tm_sec), 2);
    *p++ = '.';
    digits(uint64_t(unix_ns % 1000000000), 9);
    *p++ = 'Z';
  }
};

int64_t realtime_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

size_t format_line(const Decision& d, int64_t unix_ns, uint64_t suppressed, char* buf) {
  // Every field is a number, an address or a fixed name: nothing to escape.
  Out o{buf};
  o.text("{\"time\":\"");
  o.time(unix_ns);
  o.text("\",\"verdict\":\"");
  o.text(d.verdict.pass ? "pass" : "drop");
  o.text("\",\"dir\":\"");
  o.text(d.direction == Direction::kInbound ? "in" : "out");
  o.text("\",\"reason\":\"");
  o.text(reason_name(d.verdict.reason));
  o.text("\",\"proto\":");
  o.digits(d.flow.proto);
  o.text(",\"src\":\"");
  o.address(d.flow.family, d.flow.src);
  o.text("\",\"sport\":");
  o.digits(d.flow.src_port);
  o.text(",\"dst\":\"");
  o.address(d.flow.family, d.flow.dst);
  o.text("\",\"dport\":");
  o.digits(d.flow.dst_port);
  if (d.icmp) {
    o.text(",\"icmp_type\":");
    o.digits(d.icmp_type);
    o.text(",\"icmp_code\":");
    o.digits(d.icmp_code);
  }
  o.text(",\"suppressed\":");
  o.digits(suppressed);
  o.text("}\n");
  return size_t(o.p - buf);
}

bool DecisionLog::Bucket::take(wg::Instant now) {
  if (mode == LogMode::kAll) return true;
  if (mode == LogMode::kOff) return false;
  if (!started) {
    started = true;
    tokens = capacity;
    last = now;
  }
  if (now > last) {
    tokens = std::min(capacity, tokens + double((now - last).count()) / double(interval.count()));
    last = now;
  }
  if (tokens < 1.0) return false;
  tokens -= 1.0;
  return true;
}

DecisionLog::DecisionLog(const DecisionLogConfig& config)
    : config_(config),
      drops_{config.drops, std::max(config.drop_interval, wg::Duration(1)),
             double(std::max<uint32_t>(config.drop_burst, 1)), 0},
      accepts_{config.accepts, std::max(config.accept_interval, wg::Duration(1)),
               double(std::max<uint32_t>(config.accept_burst, 1)), 0} {
  if (config_.wall_clock_ns == nullptr) config_.wall_clock_ns = realtime_ns;
}

bool DecisionLog::wants(bool pass) const {
  return config_.fd >= 0 && (pass ? config_.accepts : config_.drops) != LogMode::kOff;
}

void DecisionLog::record(const Decision& d, wg::Instant now) {
  if (!wants(d.verdict.pass)) return;
  char line[kMaxLogLine];
  std::lock_guard lock(mu_);
  Bucket& bucket = d.verdict.pass ? accepts_ : drops_;
  if (!bucket.take(now)) {
    ++pending_suppressed_;
    ++suppressed_total_;
    return;
  }
  size_t len = format_line(d, config_.wall_clock_ns(), pending_suppressed_, line);
  pending_suppressed_ = 0;
  ssize_t n;
  do {
    n = ::write(config_.fd, line, len);
  } while (n < 0 && errno == EINTR);
  if (n == ssize_t(len)) {
    ++written_;
  } else {
    ++write_errors_;
  }
}

uint64_t DecisionLog::lines_written() const {
  std::lock_guard lock(mu_);
  return written_;
}

uint64_t DecisionLog::suppressed_total() const {
  std::lock_guard lock(mu_);
  return suppressed_total_;
}

uint64_t DecisionLog::write_errors() const {
  std::lock_guard lock(mu_);
  return write_errors_;
}

}  // namespace aclc::runtime::filter
