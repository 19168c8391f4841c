#include "runtime/meshd/backoff.h"

#include <sodium.h>

#include <algorithm>

namespace aclc::meshd {

Backoff::Backoff(int64_t initial_ms, int64_t max_ms, Uniform uniform)
    : initial_ms_(std::max<int64_t>(initial_ms, 1)),
      max_ms_(std::max(max_ms, std::max<int64_t>(initial_ms, 1))),
      ceiling_ms_(initial_ms_),
      uniform_(std::move(uniform)) {}

int64_t Backoff::next_ms() {
  int64_t d = ceiling_ms_;
  ceiling_ms_ = std::min(max_ms_, ceiling_ms_ * 2);
  int64_t half = d / 2;
  return d - half + int64_t(uniform_(uint64_t(half) + 1));
}

uint64_t system_uniform(uint64_t n) {
  if (n <= 1) return 0;
  return randombytes_uniform(uint32_t(std::min<uint64_t>(n, UINT32_MAX)));
}

}  // namespace aclc::meshd
