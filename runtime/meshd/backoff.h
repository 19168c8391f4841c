// Retry delays for talking to the control server: exponential from
// `initial` to `max`, each delay drawn in [d/2, d] so that a fleet of nodes
// that lost the server at the same moment does not come back in lockstep.
#ifndef ACLC_RUNTIME_MESHD_BACKOFF_H_
#define ACLC_RUNTIME_MESHD_BACKOFF_H_

#include <cstdint>
#include <functional>

namespace aclc::meshd {

class Backoff {
 public:
  // uniform(n): a random number in [0, n). Injectable so tests fix it.
  using Uniform = std::function<uint64_t(uint64_t n)>;

  Backoff(int64_t initial_ms, int64_t max_ms, Uniform uniform);

  // The delay before the next attempt, in milliseconds; doubles each call
  // up to the maximum.
  int64_t next_ms();
  // After a success: the next failure waits `initial` again.
  void reset() { ceiling_ms_ = initial_ms_; }

 private:
  int64_t initial_ms_, max_ms_, ceiling_ms_;
  Uniform uniform_;
};

// randombytes_uniform; [0, n) for n <= 2^32.
uint64_t system_uniform(uint64_t n);

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_BACKOFF_H_
