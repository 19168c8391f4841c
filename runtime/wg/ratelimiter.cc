#include "runtime/wg/ratelimiter.h"

#include <algorithm>
#include <cstring>

namespace aclc::wg {
namespace {

constexpr int64_t kPacketCost = 1'000'000'000 / RateLimiter::kPacketsPerSecond;
constexpr int64_t kMaxTokens = kPacketCost * RateLimiter::kPacketsBurstable;
constexpr Duration kIdle = std::chrono::seconds(1);

}  // namespace

size_t RateLimiter::KeyHash::operator()(const SourceKey& k) const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (uint8_t b : k) h = (h ^ b) * 1099511628211ULL;
  return size_t(h);
}

void RateLimiter::collect_idle(Instant now) {
  if (now - last_collect_ < kIdle) return;
  last_collect_ = now;
  std::erase_if(buckets_, [now](const auto& kv) { return now - kv.second.last > kIdle; });
}

bool RateLimiter::allow(std::span<const uint8_t> source, Instant now) {
  SourceKey key{};
  if (source.size() == 4) {
    key[0] = 4;
    std::memcpy(key.data() + 1, source.data(), 4);
  } else if (source.size() == 16) {
    key[0] = 6;
    std::memcpy(key.data() + 1, source.data(), 8);  // the /64
  } else {
    return false;
  }
  collect_idle(now);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_) return false;
    buckets_.emplace(key, Bucket{kMaxTokens - kPacketCost, now});
    return true;
  }
  Bucket& b = it->second;
  int64_t earned = std::max<int64_t>(0, (now - b.last).count());
  b.tokens = std::min(kMaxTokens, b.tokens + std::min(earned, kMaxTokens));
  b.last = std::max(b.last, now);
  if (b.tokens < kPacketCost) return false;
  b.tokens -= kPacketCost;
  return true;
}

}  // namespace aclc::wg
