#include "runtime/io/checksum.h"

#include <bit>
#include <cstring>

namespace aclc::runtime::io::csum {
namespace {

// Adds with end-around carry: ones'-complement addition in 64 bits.
inline uint64_t add(uint64_t acc, uint64_t v) {
  uint64_t r;
  if (__builtin_add_overflow(acc, v, &r)) r++;
  return r;
}

// Folds a 64-bit ones'-complement sum to 16 bits.
inline uint16_t fold64(uint64_t s) {
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return uint16_t(s);
}

}  // namespace

uint16_t sum(std::span<const uint8_t> data, uint16_t initial) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  // Native-endian words: on little-endian hosts every 16-bit word is
  // byte-swapped, which RFC 1071 undoes with one swap of the folded sum.
  uint64_t acc = 0, acc2 = 0;
  while (n >= 32) {  // two independent chains keep the adder busy
    uint64_t w[4];
    std::memcpy(w, p, 32);
    acc = add(acc, w[0]);
    acc2 = add(acc2, w[1]);
    acc = add(acc, w[2]);
    acc2 = add(acc2, w[3]);
    p += 32;
    n -= 32;
  }
  acc = add(acc, acc2);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc = add(acc, w);
    p += 8;
    n -= 8;
  }
  if (n) {
    uint64_t w = 0;  // a trailing odd byte is the high byte of a zero-padded word
    std::memcpy(&w, p, n);
    acc = add(acc, w);
  }
  uint16_t folded = fold64(acc);
  if constexpr (std::endian::native == std::endian::little) folded = __builtin_bswap16(folded);
  uint32_t s = uint32_t(folded) + initial;
  return uint16_t((s & 0xffff) + (s >> 16));
}

uint16_t pseudo_header(std::span<const uint8_t> src, std::span<const uint8_t> dst,
                       uint8_t protocol, uint32_t l4_length) {
  uint16_t s = sum(src);
  s = sum(dst, s);
  uint64_t extra = uint64_t(s) + protocol + (l4_length >> 16) + (l4_length & 0xffff);
  return fold64(extra);
}

uint16_t ipv4_header(std::span<const uint8_t> header) {
  // The checksum field (bytes 10-11) counts as zero.
  uint16_t s = sum(header.first(10));
  s = sum(header.subspan(12), s);
  return uint16_t(~s);
}

uint16_t l4(std::span<const uint8_t> src, std::span<const uint8_t> dst, uint8_t protocol,
            std::span<const uint8_t> segment, size_t field_offset) {
  uint16_t s = pseudo_header(src, dst, protocol, uint32_t(segment.size()));
  s = sum(segment.first(field_offset), s);  // field_offset is even for TCP and UDP
  s = sum(segment.subspan(field_offset + 2), s);
  return uint16_t(~s);
}

}  // namespace aclc::runtime::io::csum
