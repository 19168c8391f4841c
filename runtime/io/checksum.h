// The Internet checksum (RFC 1071) and the pieces IPv4, TCP and UDP build it
// from. Values are host-order integers of the big-endian 16-bit words, so
// a result is stored with a big-endian write.
//
// sum() adds 8 bytes per step into a 64-bit accumulator with end-around
// carry (native-endian words; RFC 1071 §2(B) makes the byte order a swap at
// the end).
#ifndef ACLC_RUNTIME_IO_CHECKSUM_H_
#define ACLC_RUNTIME_IO_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace aclc::runtime::io::csum {

// The folded ones'-complement sum of data's 16-bit words (a trailing odd
// byte is padded with zero), added to initial. Chaining sum(b, sum(a)) is
// the sum of a‖b only when a has even length.
uint16_t sum(std::span<const uint8_t> data, uint16_t initial = 0);

// The sum of the TCP/UDP pseudo-header: source and destination (4 bytes each
// for IPv4, 16 for IPv6), the protocol and the L4 length (header + payload).
uint16_t pseudo_header(std::span<const uint8_t> src, std::span<const uint8_t> dst,
                       uint8_t protocol, uint32_t l4_length);

// The value for an IPv4 header's checksum field; the field's current
// contents are ignored. header is the whole header (IHL * 4 bytes).
uint16_t ipv4_header(std::span<const uint8_t> header);

// The value for a TCP or UDP checksum field over segment (L4 header +
// payload, its checksum field ignored) at field_offset (16 TCP, 6 UDP).
// UDP callers map 0 to 0xffff (RFC 768).
uint16_t l4(std::span<const uint8_t> src, std::span<const uint8_t> dst, uint8_t protocol,
            std::span<const uint8_t> segment, size_t field_offset);

inline uint16_t load16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline void store16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

}  // namespace aclc::runtime::io::csum

#endif  // ACLC_RUNTIME_IO_CHECKSUM_H_
