// Test helpers for the io tests: packets built and checked with a plain
// byte-pair checksum, independent of runtime/io/checksum.
#ifndef ACLC_TESTS_RUNTIME_IO_PACKETS_H_
#define ACLC_TESTS_RUNTIME_IO_PACKETS_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace io_test {

using Bytes = std::vector<uint8_t>;

// RFC 1071 the slow way: 16-bit big-endian words into 32 bits, then fold.
inline uint16_t ref_sum(std::span<const uint8_t> d, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < d.size(); i += 2) acc += uint32_t(d[i] << 8 | d[i + 1]);
  if (d.size() & 1) acc += uint32_t(d.back() << 8);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return uint16_t(acc);
}

inline uint16_t get16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t get32(const uint8_t* p) { return uint32_t(get16(p)) << 16 | get16(p + 2); }
inline void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8), p[1] = uint8_t(v); }
inline void put32(uint8_t* p, uint32_t v) { put16(p, uint16_t(v >> 16)), put16(p + 2, uint16_t(v)); }

// The sum over the pseudo-header and the L4 segment of an IP packet (no
// IPv4 options / IPv6 extension headers). 0xffff means the checksum holds.
inline uint16_t l4_verify(std::span<const uint8_t> ip) {
  bool v4 = (ip[0] >> 4) == 4;
  size_t l4 = v4 ? size_t(ip[0] & 15) * 4 : 40;
  Bytes pseudo;
  if (v4) pseudo.assign(ip.begin() + 12, ip.begin() + 20);
  else pseudo.assign(ip.begin() + 8, ip.begin() + 40);
  uint32_t len = uint32_t(ip.size() - l4);
  uint8_t proto = v4 ? ip[9] : ip[6];
  pseudo.insert(pseudo.end(), {0, proto, uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)});
  Bytes all = pseudo;
  all.insert(all.end(), ip.begin() + long(l4), ip.end());
  return ref_sum(all);
}

inline bool ipv4_header_ok(std::span<const uint8_t> ip) { return ref_sum(ip.first(size_t(ip[0] & 15) * 4)) == 0xffff; }

inline void fix_l4_checksum(Bytes& ip) {
  bool v4 = (ip[0] >> 4) == 4;
  size_t l4 = v4 ? size_t(ip[0] & 15) * 4 : 40;
  uint8_t proto = v4 ? ip[9] : ip[6];
  size_t at = l4 + (proto == 6 ? 16 : 6);
  put16(&ip[at], 0);
  uint16_t c = uint16_t(~l4_verify(ip));
  put16(&ip[at], proto == 17 && c == 0 ? 0xffff : c);
}

inline void fix_ipv4_header(Bytes& ip) {
  put16(&ip[10], 0);
  put16(&ip[10], uint16_t(~ref_sum(std::span<const uint8_t>(ip).first(20))));
}

struct Tcp {
  int version = 4;
  std::array<uint8_t, 16> src{10, 0, 0, 1}, dst{10, 0, 0, 2};
  uint16_t sport = 40000, dport = 443;
  uint32_t seq = 1000, ack = 7;
  uint8_t flags = 0x10;  // ACK
  uint16_t id = 100;
  uint16_t window = 512;
  Bytes options;         // multiple of 4
  uint8_t ttl = 64;
  uint8_t tos = 0;
  bool dont_fragment = true;
};

inline Bytes payload_bytes(size_t n, uint8_t seed = 1) {
  Bytes b(n);
  for (size_t i = 0; i < n; i++) b[i] = uint8_t(seed + i * 7 + (i >> 8));
  return b;
}

// A complete TCP packet with valid checksums.
inline Bytes tcp_packet(const Tcp& t, std::span<const uint8_t> payload) {
  size_t l4 = t.version == 4 ? 20 : 40, thl = 20 + t.options.size();
  Bytes p(l4 + thl + payload.size(), 0);
  if (t.version == 4) {
    p[0] = 0x45;
    p[1] = t.tos;
    put16(&p[2], uint16_t(p.size()));
    put16(&p[4], t.id);
    p[6] = t.dont_fragment ? 0x40 : 0;
    p[8] = t.ttl;
    p[9] = 6;
    std::copy(t.src.begin(), t.src.begin() + 4, p.begin() + 12);
    std::copy(t.dst.begin(), t.dst.begin() + 4, p.begin() + 16);
    fix_ipv4_header(p);
  } else {
    p[0] = 0x60;
    put16(&p[4], uint16_t(p.size() - 40));
    p[6] = 6;
    p[7] = t.ttl;
    std::copy(t.src.begin(), t.src.end(), p.begin() + 8);
    std::copy(t.dst.begin(), t.dst.end(), p.begin() + 24);
  }
  uint8_t* h = &p[l4];
  put16(h, t.sport);
  put16(h + 2, t.dport);
  put32(h + 4, t.seq);
  put32(h + 8, t.ack);
  h[12] = uint8_t((thl / 4) << 4);
  h[13] = t.flags;
  put16(h + 14, t.window);
  std::copy(t.options.begin(), t.options.end(), h + 20);
  std::copy(payload.begin(), payload.end(), h + thl);
  fix_l4_checksum(p);
  return p;
}

inline Bytes udp_packet(int version, uint16_t sport, uint16_t dport, std::span<const uint8_t> payload,
                        uint16_t id = 1) {
  size_t l4 = version == 4 ? 20 : 40;
  Bytes p(l4 + 8 + payload.size(), 0);
  if (version == 4) {
    p[0] = 0x45;
    put16(&p[2], uint16_t(p.size()));
    put16(&p[4], id);
    p[8] = 64;
    p[9] = 17;
    p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
    fix_ipv4_header(p);
  } else {
    p[0] = 0x60;
    put16(&p[4], uint16_t(p.size() - 40));
    p[6] = 17;
    p[7] = 64;
    p[8] = 0xfd, p[23] = 1, p[24] = 0xfd, p[39] = 2;
  }
  put16(&p[l4], sport);
  put16(&p[l4 + 2], dport);
  put16(&p[l4 + 4], uint16_t(8 + payload.size()));
  std::copy(payload.begin(), payload.end(), p.begin() + long(l4) + 8);
  fix_l4_checksum(p);
  return p;
}

}  // namespace io_test

#endif  // ACLC_TESTS_RUNTIME_IO_PACKETS_H_
