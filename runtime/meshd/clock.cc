#include "runtime/meshd/clock.h"

#include <time.h>

namespace aclc::meshd {
namespace {
constexpr int64_t kOffsetNs = int64_t(3600) * 1'000'000'000;
}

int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

uint64_t unix_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec < 0 ? 0 : uint64_t(ts.tv_sec);
}

ProtocolClock::ProtocolClock(uint32_t scale)
    : scale_(scale == 0 ? 1 : scale), origin_ns_(monotonic_ns() - kOffsetNs) {}

wg::Instant ProtocolClock::real_now() const { return wg::Instant(monotonic_ns() - origin_ns_); }

int64_t ProtocolClock::to_monotonic_ns(wg::Instant protocol) const {
  int64_t p = protocol.count();
  int64_t real = p / scale_ + (p % scale_ != 0 ? 1 : 0);
  return real + origin_ns_;
}

int64_t ProtocolClock::real_to_monotonic_ns(wg::Instant real) const {
  return real.count() + origin_ns_;
}

}  // namespace aclc::meshd
