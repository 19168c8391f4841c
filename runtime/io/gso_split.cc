#include "runtime/io/gso_split.h"

#include <algorithm>
#include <cstring>

#include "runtime/io/checksum.h"

namespace aclc::runtime::io {
namespace {

constexpr uint8_t kTcp = 6, kUdp = 17;
constexpr uint8_t kFin = 0x01, kPsh = 0x08, kCwr = 0x80;

uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
void store32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// A packet the kernel left with a partial checksum: the field holds the
// pseudo-header sum; the sum from csum_start on completes it.
bool complete_checksum(const VnetHdr& hdr, std::span<uint8_t> p) {
  size_t at = size_t(hdr.csum_start) + hdr.csum_offset;
  if (hdr.csum_start >= p.size() || at + 2 > p.size() || (hdr.csum_offset & 1)) return false;
  uint16_t seed = csum::load16(&p[at]);
  csum::store16(&p[at], 0);
  uint16_t c = uint16_t(~csum::sum(p.subspan(hdr.csum_start), seed));
  csum::store16(&p[at], c ? c : 0xffff);  // as skb_checksum_help: 0 is sent as 0xffff
  return true;
}

}  // namespace

SplitStatus split_super_packet(const VnetHdr& hdr, std::span<const uint8_t> packet,
                               PacketBatch& out, size_t& next_segment) {
  const uint8_t gso = hdr.gso_type & ~VnetHdr::kGsoEcn;
  const size_t size = packet.size();
  if (size == 0) return SplitStatus::kMalformed;

  if (gso == VnetHdr::kGsoNone) {
    if (next_segment != 0) return SplitStatus::kDone;
    if (size > out.max_packet()) return SplitStatus::kTooLarge;
    uint8_t* d = out.push(size);
    if (!d) return SplitStatus::kBatchFull;
    std::memcpy(d, packet.data(), size);
    if ((hdr.flags & VnetHdr::kNeedsCsum) && !complete_checksum(hdr, {d, size})) {
      out.pop_last();
      return SplitStatus::kMalformed;
    }
    next_segment = 1;
    return SplitStatus::kDone;
  }

  // A GSO super-packet. Trust only what we check: the L4 offset is
  // csum_start, and the header length is recomputed from the packet (some
  // kernels report hdr_len loosely).
  const uint8_t* p = packet.data();
  const int version = p[0] >> 4;
  const size_t l4 = hdr.csum_start;
  uint8_t protocol;
  if (gso == VnetHdr::kGsoTcpV4 || gso == VnetHdr::kGsoTcpV6) {
    protocol = kTcp;
    if ((gso == VnetHdr::kGsoTcpV4) != (version == 4)) return SplitStatus::kMalformed;
  } else if (gso == VnetHdr::kGsoUdpL4) {
    protocol = kUdp;
  } else {
    return SplitStatus::kMalformed;
  }
  std::span<const uint8_t> src, dst;
  if (version == 4) {
    if (size < 20 || l4 != size_t(p[0] & 15) * 4 || l4 < 20 || p[9] != protocol)
      return SplitStatus::kMalformed;
    src = packet.subspan(12, 4);
    dst = packet.subspan(16, 4);
  } else if (version == 6) {
    // Extension headers are not supported: the kernel puts TCP/UDP right
    // after the fixed header on a TUN.
    if (size < 40 || l4 != 40 || p[6] != protocol) return SplitStatus::kMalformed;
    src = packet.subspan(8, 16);
    dst = packet.subspan(24, 16);
  } else {
    return SplitStatus::kMalformed;
  }
  size_t hlen;
  if (protocol == kTcp) {
    if (l4 + 20 > size) return SplitStatus::kMalformed;
    size_t thl = size_t(p[l4 + 12] >> 4) * 4;
    if (thl < 20) return SplitStatus::kMalformed;
    hlen = l4 + thl;
  } else {
    hlen = l4 + 8;
  }
  const size_t gso_size = hdr.gso_size;
  if (hlen >= size || gso_size == 0) return SplitStatus::kMalformed;
  const size_t payload = size - hlen;
  const size_t segments = (payload + gso_size - 1) / gso_size;
  if (hlen + std::min(gso_size, payload) > out.max_packet()) return SplitStatus::kTooLarge;

  const uint16_t id0 = version == 4 ? csum::load16(p + 4) : 0;
  const uint32_t seq0 = protocol == kTcp ? load32(p + l4 + 4) : 0;
  for (size_t i = next_segment; i < segments; i++) {
    const size_t off = hlen + i * gso_size;
    const size_t len = std::min(gso_size, size - off);
    const size_t total = hlen + len;
    uint8_t* d = out.push(total);
    if (!d) {
      next_segment = i;
      return SplitStatus::kBatchFull;
    }
    std::memcpy(d, p, hlen);
    std::memcpy(d + hlen, p + off, len);
    if (version == 4) {
      csum::store16(d + 2, uint16_t(total));
      csum::store16(d + 4, uint16_t(id0 + i));
      csum::store16(d + 10, csum::ipv4_header({d, l4}));
    } else {
      csum::store16(d + 4, uint16_t(total - 40));
    }
    std::span<uint8_t> seg(d + l4, total - l4);
    if (protocol == kTcp) {
      store32(d + l4 + 4, seq0 + uint32_t(i * gso_size));
      if (i + 1 != segments) d[l4 + 13] &= uint8_t(~(kFin | kPsh));
      if (i != 0) d[l4 + 13] &= uint8_t(~kCwr);
      csum::store16(d + l4 + 16, csum::l4(src, dst, kTcp, seg, 16));
    } else {
      csum::store16(d + l4 + 4, uint16_t(total - l4));
      uint16_t c = csum::l4(src, dst, kUdp, seg, 6);
      csum::store16(d + l4 + 6, c ? c : 0xffff);
    }
  }
  next_segment = segments;
  return SplitStatus::kDone;
}

}  // namespace aclc::runtime::io
