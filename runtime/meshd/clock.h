// The daemon's clocks. The protocol clock is CLOCK_MONOTONIC, optionally
// running `scale` times faster (--test-time-scale: tests see a 120 s rekey
// in 120/scale s). It drives the device and the filter; deadlines are
// converted back to real monotonic time to arm the timerfd. It starts at
// one hour, not zero, so no timer ever sees "time 0".
#ifndef ACLC_RUNTIME_MESHD_CLOCK_H_
#define ACLC_RUNTIME_MESHD_CLOCK_H_

#include <cstdint>

#include "runtime/wg/limits.h"

namespace aclc::meshd {

// CLOCK_MONOTONIC in nanoseconds.
int64_t monotonic_ns();
// CLOCK_REALTIME in whole seconds (bundle expiry).
uint64_t unix_seconds();

class ProtocolClock {
 public:
  explicit ProtocolClock(uint32_t scale = 1);
  uint32_t scale() const { return scale_; }
  // Real elapsed time since start (plus the one-hour offset).
  wg::Instant real_now() const;
  // The protocol clock: real_now() * scale.
  wg::Instant now() const { return real_now() * scale_; }
  // A protocol instant as CLOCK_MONOTONIC nanoseconds (rounded up, so a
  // timer never fires before its deadline).
  int64_t to_monotonic_ns(wg::Instant protocol) const;
  int64_t real_to_monotonic_ns(wg::Instant real) const;

 private:
  uint32_t scale_;
  int64_t origin_ns_;  // CLOCK_MONOTONIC at real_now() == 0
};

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_CLOCK_H_
