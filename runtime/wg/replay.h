// The sliding anti-replay window for transport counters (RFC 6479), sized as
// WireGuard's: 8192 bits in 64-bit blocks, of which 8128 form the window.
//
// Call accept() only after the packet's AEAD tag verified: updating the
// window for unauthenticated counters would let a forger slide it forward.
#ifndef ACLC_RUNTIME_WG_REPLAY_H_
#define ACLC_RUNTIME_WG_REPLAY_H_

#include <array>
#include <cstdint>

namespace aclc::wg {

class ReplayWindow {
 public:
  static constexpr uint64_t kBitsTotal = 8192;
  static constexpr uint64_t kWindowSize = kBitsTotal - 64;  // 8128

  // Returns true and records counter if it is below limit, not older than
  // the window and not seen before; false otherwise (state unchanged then).
  bool accept(uint64_t counter, uint64_t limit);

  // Forgets every counter seen.
  void reset();

 private:
  static constexpr uint64_t kBlocks = kBitsTotal / 64;
  uint64_t greatest_ = 0;
  std::array<uint64_t, kBlocks> blocks_{};
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_REPLAY_H_
