// Packet buffers shared by the TUN reader and the WireGuard device.
//
// The device seals a plaintext packet in place: it writes the 16-byte type-4
// header in front of the packet and up to 15 bytes of padding plus the
// 16-byte tag after it. Every packet the TUN reader yields therefore sits in a
// slot with kHeadroom writable bytes before it and kTailroom after it, so the
// hot path copies nothing between read(2) and sendmmsg(2).
#ifndef ACLC_RUNTIME_IO_BUFFERS_H_
#define ACLC_RUNTIME_IO_BUFFERS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace aclc::runtime::io {

// The room both sides agree on (the device's kPacketHeadroom and
// kPacketTailroom are these; device.cc checks them against the protocol).
// The type-4 message header (type, receiver index, counter) in front.
inline constexpr size_t kHeadroom = 16;
// Padding to a multiple of 16 (at most 15 bytes) and the Poly1305 tag after.
inline constexpr size_t kTailroom = 15 + 16;
// Packets per batch: wireguard-go's conn.IdealBatchSize.
inline constexpr size_t kMaxBatch = 128;
// The largest IP packet (IPv4 total length, IPv6 payload + header).
inline constexpr size_t kMaxIpPacket = 65535;

// A fixed set of slots reused across reads; allocates only when constructed.
// Packet i is packet(i); the bytes [data - kHeadroom, data + size +
// kTailroom) belong to it and may be overwritten.
class PacketBatch {
 public:
  // capacity slots, each able to hold one packet of up to max_packet bytes.
  explicit PacketBatch(size_t max_packet, size_t capacity = kMaxBatch);

  size_t size() const { return lengths_.size(); }
  size_t capacity() const { return capacity_; }
  size_t max_packet() const { return max_packet_; }
  bool full() const { return size() == capacity_; }
  void clear() { lengths_.clear(); }

  std::span<uint8_t> packet(size_t i) { return {data(i), lengths_[i]}; }
  std::span<const uint8_t> packet(size_t i) const { return {data(i), lengths_[i]}; }
  // The slot's packet area (max_packet bytes; kHeadroom before it and
  // kTailroom after it are also writable).
  uint8_t* data(size_t i) { return storage_.get() + i * stride_ + kHeadroom; }
  const uint8_t* data(size_t i) const { return storage_.get() + i * stride_ + kHeadroom; }

  // Appends a packet of len bytes (contents unspecified) and returns where
  // to write it; nullptr when the batch is full or len > max_packet.
  uint8_t* push(size_t len);
  // Shortens or drops the last packet (after a short read).
  void shrink_last(size_t len) { lengths_.back() = len; }
  void pop_last() { lengths_.pop_back(); }

 private:
  size_t max_packet_, capacity_, stride_;
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<size_t> lengths_;
};

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_BUFFERS_H_
