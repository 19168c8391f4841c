#include "runtime/io/buffers.h"

namespace aclc::runtime::io {

PacketBatch::PacketBatch(size_t max_packet, size_t capacity)
    : max_packet_(max_packet),
      capacity_(capacity),
      // Slots a whole number of cache lines apart.
      stride_((kHeadroom + max_packet + kTailroom + 63) & ~size_t(63)),
      storage_(new uint8_t[stride_ * capacity]) {
  lengths_.reserve(capacity);
}

uint8_t* PacketBatch::push(size_t len) {
  if (full() || len > max_packet_) return nullptr;
  lengths_.push_back(len);
  return data(lengths_.size() - 1);
}

}  // namespace aclc::runtime::io
