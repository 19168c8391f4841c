// The bounded queue of handshake messages (types 1 and 2) waiting for the
// expensive part of their processing (DH). Its length is what the
// under-load detector sees; when full, new messages are dropped, so a
// flood costs a copy per message and never unbounded memory or the data
// path. Storage is allocated once.
#ifndef ACLC_RUNTIME_DEVICE_HANDSHAKE_QUEUE_H_
#define ACLC_RUNTIME_DEVICE_HANDSHAKE_QUEUE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/device/config.h"
#include "runtime/wg/messages.h"

namespace aclc::runtime {

struct QueuedHandshake {
  Endpoint from;
  uint8_t size = 0;  // kInitiationSize or kResponseSize
  std::array<uint8_t, wg::kInitiationSize> bytes{};
  std::span<const uint8_t> message() const { return {bytes.data(), size}; }
};

class HandshakeQueue {
 public:
  explicit HandshakeQueue(size_t capacity);

  // False (and nothing queued) if the queue is full or the message is
  // longer than an initiation.
  bool push(const Endpoint& from, std::span<const uint8_t> message);
  // The oldest message; only while !empty().
  const QueuedHandshake& front() const { return slots_[head_]; }
  void pop();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  std::vector<QueuedHandshake> slots_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace aclc::runtime

#endif  // ACLC_RUNTIME_DEVICE_HANDSHAKE_QUEUE_H_
