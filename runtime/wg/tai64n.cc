#include "runtime/wg/tai64n.h"

#include <algorithm>
#include <chrono>

namespace aclc::wg {
namespace {
constexpr uint64_t kBase = 0x400000000000000aULL;
constexpr uint32_t kWhitenerMask = 0x1000000 - 1;  // 2^24 ns granularity
}  // namespace

Tai64n tai64n_from_unix(int64_t unix_seconds, uint32_t nanos) {
  Tai64n t{};
  uint64_t secs = kBase + uint64_t(unix_seconds);
  uint32_t ns = nanos & ~kWhitenerMask;
  for (int i = 0; i < 8; ++i) t[i] = uint8_t(secs >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) t[8 + i] = uint8_t(ns >> (24 - 8 * i));
  return t;
}

Tai64n tai64n_now() {
  auto since = std::chrono::system_clock::now().time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs);
  return tai64n_from_unix(secs.count(), uint32_t(ns.count()));
}

bool tai64n_after(const Tai64n& a, const Tai64n& b) {
  return std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end());
}

}  // namespace aclc::wg
