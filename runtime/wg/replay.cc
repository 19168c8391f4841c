#include "runtime/wg/replay.h"

#include <algorithm>

namespace aclc::wg {

bool ReplayWindow::accept(uint64_t counter, uint64_t limit) {
  if (counter >= limit) return false;
  uint64_t block = counter >> 6;
  if (counter > greatest_) {
    // Slide forward, clearing the blocks the window moves over.
    uint64_t current = greatest_ >> 6;
    uint64_t diff = std::min<uint64_t>(block - current, kBlocks);
    for (uint64_t i = 1; i <= diff; ++i) blocks_[(current + i) % kBlocks] = 0;
    greatest_ = counter;
  } else if (greatest_ - counter > kWindowSize) {
    return false;
  }
  uint64_t& word = blocks_[block % kBlocks];
  uint64_t bit = uint64_t(1) << (counter & 63);
  bool fresh = (word & bit) == 0;
  word |= bit;
  return fresh;
}

void ReplayWindow::reset() {
  greatest_ = 0;
  blocks_.fill(0);
}

}  // namespace aclc::wg
