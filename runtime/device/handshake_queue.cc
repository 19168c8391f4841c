#include "runtime/device/handshake_queue.h"

#include <algorithm>
#include <cstring>

namespace aclc::runtime {

HandshakeQueue::HandshakeQueue(size_t capacity) : slots_(std::max<size_t>(capacity, 1)) {}

bool HandshakeQueue::push(const Endpoint& from, std::span<const uint8_t> message) {
  if (size_ == slots_.size() || message.size() > wg::kInitiationSize) return false;
  QueuedHandshake& slot = slots_[(head_ + size_) % slots_.size()];
  slot.from = from;
  slot.size = uint8_t(message.size());
  std::memcpy(slot.bytes.data(), message.data(), message.size());
  ++size_;
  return true;
}

void HandshakeQueue::pop() {
  if (size_ == 0) return;
  head_ = (head_ + 1) % slots_.size();
  --size_;
}

}  // namespace aclc::runtime
