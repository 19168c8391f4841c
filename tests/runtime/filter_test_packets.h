// Builders of raw IPv4/IPv6 packets for the filter's tests (checksums are
// left zero: the filter does not read them).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "runtime/filter/packet.h"

namespace aclc::runtime::filter::testing {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}

inline uint32_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t(a) << 24 | uint32_t(b) << 16 | uint32_t(c) << 8 | d;
}

// fd7a:115c:a1e0::<low>
inline u128 v6(uint64_t low) { return u128(0xfd7a115ca1e00000ULL) << 64 | low; }

inline Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, size_t payload = 0) {
  Bytes b(20 + payload, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  b[12] = 5 << 4;
  b[13] = flags;
  return b;
}

inline Bytes udp(uint16_t sport, uint16_t dport, size_t payload = 4) {
  Bytes b(8 + payload, 0xab);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, uint16_t(8 + payload));
  put16(b, 6, 0);
  return b;
}

inline Bytes sctp(uint16_t sport, uint16_t dport) {
  Bytes b(12, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  return b;
}

inline Bytes icmp(uint8_t type, uint8_t code, uint16_t id = 0, uint16_t seq = 0,
                  const Bytes& rest = {}) {
  Bytes b(8, 0);
  b[0] = type;
  b[1] = code;
  put16(b, 4, id);
  put16(b, 6, seq);
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

struct V4Options {
  Bytes options;          // multiple of 4 bytes
  uint16_t frag_offset = 0;  // in 8-byte units
  bool more_fragments = false;
};

inline Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, const Bytes& l4,
                  const V4Options& o = {}) {
  size_t header = 20 + o.options.size();
  Bytes b(header, 0);
  b[0] = uint8_t(0x40 | (header / 4));
  put16(b, 2, uint16_t(header + l4.size()));
  put16(b, 6, uint16_t((o.more_fragments ? 0x2000 : 0) | o.frag_offset));
  b[8] = 64;
  b[9] = proto;
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = uint8_t(src >> (24 - 8 * i));
    b[16 + i] = uint8_t(dst >> (24 - 8 * i));
  }
  std::copy(o.options.begin(), o.options.end(), b.begin() + 20);
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

// An IPv6 extension header: its type and its whole bytes (next-header byte
// is filled in by ipv6()).
struct Ext {
  uint8_t type;
  Bytes bytes;
};

inline Ext hop_by_hop(size_t units = 0) {  // (units + 1) * 8 bytes
  Bytes b((units + 1) * 8, 0);
  b[1] = uint8_t(units);
  b[2] = 1;  // PadN option filling the rest
  b[3] = uint8_t(b.size() - 4);
  return {0, b};
}
inline Ext dest_opts() { return {60, hop_by_hop().bytes}; }
inline Ext routing() {
  Bytes b(8, 0);
  b[2] = 0;  // type 0, no segments left
  return {43, b};
}
inline Ext auth_header() {  // (payload len + 2) * 4 = 24 bytes
  Bytes b(24, 0);
  b[1] = 4;
  return {51, b};
}
inline Ext fragment(uint16_t offset, bool more) {
  Bytes b(8, 0);
  put16(b, 2, uint16_t(offset << 3 | (more ? 1 : 0)));
  b[7] = 42;  // identification
  return {44, b};
}

inline Bytes ipv6(u128 src, u128 dst, uint8_t proto, const Bytes& l4,
                  std::initializer_list<Ext> exts = {}) {
  Bytes b(40, 0);
  b[0] = 0x60;
  b[7] = 64;
  for (int i = 0; i < 16; ++i) {
    b[8 + i] = uint8_t(src >> (120 - 8 * i));
    b[24 + i] = uint8_t(dst >> (120 - 8 * i));
  }
  std::vector<Ext> list(exts);
  b[6] = list.empty() ? proto : list[0].type;
  for (size_t i = 0; i < list.size(); ++i) {
    Bytes h = list[i].bytes;
    h[0] = i + 1 < list.size() ? list[i + 1].type : proto;
    b.insert(b.end(), h.begin(), h.end());
  }
  b.insert(b.end(), l4.begin(), l4.end());
  put16(b, 4, uint16_t(b.size() - 40));
  return b;
}

inline bundle::Prefix host4(uint32_t a) { return {4, 32, a}; }
inline bundle::Prefix host6(u128 a) { return {6, 128, a}; }

// A cell over [first, last] admitting the given IPv4 intervals.
inline bundle::Cell cell4(uint16_t first, uint16_t last,
                          std::vector<std::pair<uint32_t, uint32_t>> sources) {
  bundle::Cell c;
  c.port_first = first;
  c.port_last = last;
  c.sources.v4 = std::move(sources);
  return c;
}

}  // namespace aclc::runtime::filter::testing
