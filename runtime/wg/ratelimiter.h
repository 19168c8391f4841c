// Per-source token bucket for handshake messages under load (kernel
// ratelimiter.c, wireguard-go ratelimiter.go): 20 packets per second with
// a burst of 5 per source. IPv4 sources are keyed by address, IPv6 sources
// by their /64, since one host usually owns a whole /64.
//
// Memory is bounded: idle buckets are collected and, when the table is
// full, unknown sources are refused (fail closed) rather than tracked.
#ifndef ACLC_RUNTIME_WG_RATELIMITER_H_
#define ACLC_RUNTIME_WG_RATELIMITER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <unordered_map>

#include "runtime/wg/limits.h"

namespace aclc::wg {

class RateLimiter {
 public:
  static constexpr uint64_t kPacketsPerSecond = 20;
  static constexpr uint64_t kPacketsBurstable = 5;

  explicit RateLimiter(size_t max_sources = 65536) : max_sources_(max_sources) {}

  // True if a handshake message from source (4 or 16 address bytes) may be
  // processed at now; false if over its rate, or source is malformed.
  bool allow(std::span<const uint8_t> source, Instant now);

  size_t tracked_sources() const { return buckets_.size(); }

 private:
  struct Bucket {
    int64_t tokens;  // in nanoseconds of credit
    Instant last;
  };
  using SourceKey = std::array<uint8_t, 9>;  // family tag + up to 8 bytes
  struct KeyHash {
    size_t operator()(const SourceKey& k) const;
  };
  void collect_idle(Instant now);

  size_t max_sources_;
  std::unordered_map<SourceKey, Bucket, KeyHash> buckets_;
  Instant last_collect_{};
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_RATELIMITER_H_
