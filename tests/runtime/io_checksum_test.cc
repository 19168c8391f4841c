// runtime/io/checksum against known packets and a byte-pair reference.
#include <doctest/doctest.h>

#include <random>

#include "runtime/io/checksum.h"
#include "tests/runtime/io_packets.h"

using namespace aclc::runtime::io;
using namespace io_test;

TEST_CASE("io checksum: a known IPv4 header") {
  // Wikipedia's "IPv4 header checksum" example: 192.168.0.1 -> 192.168.0.199, UDP.
  Bytes h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
             0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  CHECK(csum::ipv4_header(h) == 0xb861);
  h[10] = 0x12;  // the field's old contents do not matter
  CHECK(csum::ipv4_header(h) == 0xb861);
}

TEST_CASE("io checksum: RFC 1071 example words") {
  // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
  Bytes d = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(csum::sum(d) == 0xddf2);
}

TEST_CASE("io checksum: sum equals the reference at every length and alignment") {
  std::mt19937 rng(7);
  Bytes buf(2100);
  for (auto& b : buf) b = uint8_t(rng());
  for (size_t off = 0; off < 9; off++) {
    for (size_t len = 0; len < 300; len++) {
      std::span<const uint8_t> s(buf.data() + off, len);
      REQUIRE(csum::sum(s) == ref_sum(s));
    }
    std::span<const uint8_t> big(buf.data() + off, 2000 + off);
    CHECK(csum::sum(big) == ref_sum(big));
  }
  // All 0xff (the carry-heavy case) and all zero.
  Bytes ones(1501, 0xff), zeros(64, 0);
  CHECK(csum::sum(ones) == ref_sum(ones));
  CHECK(csum::sum(zeros) == 0);
  // Chaining over an even-length prefix.
  std::span<const uint8_t> all(buf.data(), 1000);
  CHECK(csum::sum(all.subspan(400), csum::sum(all.first(400))) == ref_sum(all));
}

TEST_CASE("io checksum: TCP and UDP over IPv4 and IPv6 verify independently") {
  for (int v : {4, 6}) {
    Tcp t;
    t.version = v;
    if (v == 6) t.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, t.dst = {0xfd, 1};
    for (size_t n : {0, 1, 2, 1379, 1380}) {
      Bytes p = tcp_packet(t, payload_bytes(n));
      size_t l4 = v == 4 ? 20 : 40;
      std::span<const uint8_t> src(&p[v == 4 ? 12 : 8], v == 4 ? 4 : 16);
      std::span<const uint8_t> dst(&p[v == 4 ? 16 : 24], v == 4 ? 4 : 16);
      uint16_t want = get16(&p[l4 + 16]);
      CHECK(csum::l4(src, dst, 6, std::span<const uint8_t>(p).subspan(l4), 16) == want);
      CHECK(l4_verify(p) == 0xffff);
      p[p.size() - 1] ^= 1;  // a flipped bit no longer verifies
      CHECK(l4_verify(p) != 0xffff);
    }
    Bytes u = udp_packet(v, 5353, 53, payload_bytes(333));
    size_t l4 = v == 4 ? 20 : 40;
    std::span<const uint8_t> src(&u[v == 4 ? 12 : 8], v == 4 ? 4 : 16);
    std::span<const uint8_t> dst(&u[v == 4 ? 16 : 24], v == 4 ? 4 : 16);
    CHECK(csum::l4(src, dst, 17, std::span<const uint8_t>(u).subspan(l4), 6) == get16(&u[l4 + 6]));
  }
}

TEST_CASE("io checksum: pseudo-header sum") {
  uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
  // 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 1400
  CHECK(csum::pseudo_header(src, dst, 6, 1400) == uint16_t(0x0a00 + 1 + 0x0a00 + 2 + 6 + 1400));
  // A length above 16 bits (IPv6 jumbo form) folds in both halves.
  CHECK(csum::pseudo_header(src, dst, 6, 0x10001) == uint16_t(0x0a00 + 1 + 0x0a00 + 2 + 6 + 1 + 1));
}
