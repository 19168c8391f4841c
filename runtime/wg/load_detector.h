// Decides when a node is "under load" and must demand mac2 (cookies) on
// handshake messages before doing any DH: when its queue of pending
// handshake messages reaches a threshold, and for one second after that
// (wireguard-go: queue >= 1024/8, sticky UnderLoadAfterTime = 1 s; the kernel
// uses 4096/8).
#ifndef ACLC_RUNTIME_WG_LOAD_DETECTOR_H_
#define ACLC_RUNTIME_WG_LOAD_DETECTOR_H_

#include <cstddef>
#include <optional>

#include "runtime/wg/limits.h"

namespace aclc::wg {

class LoadDetector {
 public:
  static constexpr size_t kDefaultThreshold = 1024 / 8;
  static constexpr Duration kSticky = std::chrono::seconds(1);

  explicit LoadDetector(size_t threshold = kDefaultThreshold) : threshold_(threshold) {}

  // queued = handshake messages waiting to be processed right now.
  bool under_load(size_t queued, Instant now) {
    if (queued >= threshold_) {
      until_ = now + kSticky;
      return true;
    }
    return until_ && now < *until_;
  }

 private:
  size_t threshold_;
  std::optional<Instant> until_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_LOAD_DETECTOR_H_
