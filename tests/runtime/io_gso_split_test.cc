// Segmentation of TUN super-packets (runtime/io/gso_split): sizes, sequence
// numbers, IPv4 IDs, flags and checksums, each checked independently.
#include <doctest/doctest.h>

#include "runtime/io/gso_split.h"
#include "tests/runtime/io_packets.h"

using namespace aclc::runtime::io;
using namespace io_test;

namespace {

// A super-packet as the kernel hands it over: one header, the whole
// payload, the TCP checksum field holding only the pseudo-header sum.
Bytes tso_super(const Tcp& t, const Bytes& payload) {
  Bytes p = tcp_packet(t, payload);
  size_t l4 = t.version == 4 ? 20 : 40;
  put16(&p[l4 + 16], 0x1234);  // partial: must not be trusted
  return p;
}

VnetHdr tso_hdr(int version, size_t hlen, size_t gso) {
  VnetHdr h;
  h.flags = VnetHdr::kNeedsCsum;
  h.gso_type = version == 4 ? VnetHdr::kGsoTcpV4 : VnetHdr::kGsoTcpV6;
  h.hdr_len = uint16_t(hlen);
  h.gso_size = uint16_t(gso);
  h.csum_start = uint16_t(version == 4 ? 20 : 40);
  h.csum_offset = 16;
  return h;
}

}  // namespace

TEST_CASE("io gso split: a TCP/IPv4 TSO super-packet becomes MSS-sized segments") {
  Tcp t;
  t.flags = 0x10 | 0x08 | 0x01 | 0x80;  // ACK PSH FIN CWR
  t.seq = 0xfffff000;                   // wraps around inside the packet
  t.id = 0xfffe;                        // and so do the IDs
  t.options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};  // NOP NOP timestamp
  const size_t mss = 1368;
  Bytes payload = payload_bytes(10 * mss + 500);
  Bytes super = tso_super(t, payload);
  const size_t hlen = 20 + 32;

  PacketBatch out(1420);
  size_t next = 0;
  REQUIRE(split_super_packet(tso_hdr(4, hlen, mss), super, out, next) == SplitStatus::kDone);
  REQUIRE(out.size() == 11);
  Bytes joined;
  for (size_t i = 0; i < out.size(); i++) {
    auto p = out.packet(i);
    size_t want = i < 10 ? mss : 500;
    CHECK(p.size() == hlen + want);
    CHECK(get16(&p[2]) == p.size());                  // total length
    CHECK(get16(&p[4]) == uint16_t(0xfffe + i));      // IDs increment
    CHECK(ipv4_header_ok(p));
    CHECK(l4_verify(p) == 0xffff);                    // full TCP checksum
    CHECK(get32(&p[24]) == uint32_t(0xfffff000u + i * mss));
    uint8_t flags = p[33];
    CHECK((flags & 0x10) != 0);
    CHECK(bool(flags & 0x01) == (i == 10));  // FIN only on the last
    CHECK(bool(flags & 0x08) == (i == 10));  // PSH only on the last
    CHECK(bool(flags & 0x80) == (i == 0));   // CWR only on the first
    CHECK(std::equal(p.begin() + 40, p.begin() + long(hlen), super.begin() + 40));  // options kept
    joined.insert(joined.end(), p.begin() + long(hlen), p.end());
  }
  CHECK(joined == payload);
}

TEST_CASE("io gso split: TCP/IPv6, and resuming when the batch fills") {
  Tcp t;
  t.version = 6;
  t.src = {0xfd, 0x7a, 0x11, 0x5c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  t.dst = {0xfd, 0x7a, 0x11, 0x5c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  const size_t mss = 1360;
  Bytes payload = payload_bytes(7 * mss);
  Bytes super = tso_super(t, payload);
  VnetHdr h = tso_hdr(6, 60, mss);
  h.hdr_len = 9999;  // a loose hdr_len is ignored: the header length comes from the packet

  PacketBatch out(1420, 4);
  size_t next = 0;
  Bytes joined;
  CHECK(split_super_packet(h, super, out, next) == SplitStatus::kBatchFull);
  CHECK(out.size() == 4);
  CHECK(next == 4);
  for (size_t i = 0; i < out.size(); i++) joined.insert(joined.end(), out.packet(i).begin() + 60, out.packet(i).end());
  for (size_t i = 0; i < out.size(); i++) {
    CHECK(get16(&out.packet(i)[4]) == 20 + mss);  // payload length
    CHECK(l4_verify(out.packet(i)) == 0xffff);
    CHECK(get32(&out.packet(i)[44]) == t.seq + i * mss);
  }
  out.clear();
  CHECK(split_super_packet(h, super, out, next) == SplitStatus::kDone);
  CHECK(out.size() == 3);
  for (size_t i = 0; i < out.size(); i++) {
    CHECK(l4_verify(out.packet(i)) == 0xffff);
    CHECK(get32(&out.packet(i)[44]) == t.seq + (4 + i) * mss);
    joined.insert(joined.end(), out.packet(i).begin() + 60, out.packet(i).end());
  }
  CHECK(joined == payload);
}

TEST_CASE("io gso split: UDP segmentation (USO) over IPv4 and IPv6") {
  for (int v : {4, 6}) {
    const size_t gso = 1200;
    Bytes payload = payload_bytes(3 * gso + 1);
    Bytes super = udp_packet(v, 1111, 2222, payload, 9);
    size_t l4 = v == 4 ? 20 : 40;
    VnetHdr h;
    h.flags = VnetHdr::kNeedsCsum;
    h.gso_type = VnetHdr::kGsoUdpL4;
    h.gso_size = gso;
    h.csum_start = uint16_t(l4);
    h.csum_offset = 6;
    PacketBatch out(1500);
    size_t next = 0;
    REQUIRE(split_super_packet(h, super, out, next) == SplitStatus::kDone);
    REQUIRE(out.size() == 4);
    Bytes joined;
    for (size_t i = 0; i < 4; i++) {
      auto p = out.packet(i);
      size_t n = i < 3 ? gso : 1;
      CHECK(p.size() == l4 + 8 + n);
      CHECK(get16(&p[l4 + 4]) == 8 + n);  // UDP length
      CHECK(l4_verify(p) == 0xffff);
      if (v == 4) {
        CHECK(ipv4_header_ok(p));
        CHECK(get16(&p[4]) == 9 + i);
      } else {
        CHECK(get16(&p[4]) == 8 + n);
      }
      joined.insert(joined.end(), p.begin() + long(l4) + 8, p.end());
    }
    CHECK(joined == payload);
  }
}

TEST_CASE("io gso split: a plain packet with a partial checksum is completed") {
  Tcp t;
  Bytes want = tcp_packet(t, payload_bytes(100));
  Bytes partial = want;
  // What the kernel leaves with NEEDS_CSUM: the pseudo-header sum, uncomplemented.
  uint32_t len = uint32_t(want.size() - 20);
  Bytes pseudo(want.begin() + 12, want.begin() + 20);
  pseudo.insert(pseudo.end(), {0, 6, uint8_t(len >> 8), uint8_t(len)});
  put16(&partial[36], ref_sum(pseudo));
  VnetHdr h;
  h.flags = VnetHdr::kNeedsCsum;
  h.csum_start = 20;
  h.csum_offset = 16;
  PacketBatch out(1420);
  size_t next = 0;
  REQUIRE(split_super_packet(h, partial, out, next) == SplitStatus::kDone);
  REQUIRE(out.size() == 1);
  CHECK(Bytes(out.packet(0).begin(), out.packet(0).end()) == want);

  // Without NEEDS_CSUM the packet is passed through untouched.
  out.clear();
  next = 0;
  REQUIRE(split_super_packet(VnetHdr{}, want, out, next) == SplitStatus::kDone);
  CHECK(Bytes(out.packet(0).begin(), out.packet(0).end()) == want);
}

TEST_CASE("io gso split: malformed and oversized input is refused, nothing appended") {
  Tcp t;
  Bytes super = tso_super(t, payload_bytes(5000));
  PacketBatch out(1420);
  auto run = [&](VnetHdr h, std::span<const uint8_t> p) {
    size_t next = 0;
    out.clear();
    return split_super_packet(h, p, out, next);
  };
  VnetHdr good = tso_hdr(4, 40, 1380);
  VnetHdr h = good;
  h.gso_size = 0;
  CHECK(run(h, super) == SplitStatus::kMalformed);
  h = good;
  h.gso_type = VnetHdr::kGsoTcpV6;  // says IPv6, packet is IPv4
  CHECK(run(h, super) == SplitStatus::kMalformed);
  h = good;
  h.csum_start = 24;  // L4 offset disagrees with IHL
  CHECK(run(h, super) == SplitStatus::kMalformed);
  h = good;
  h.gso_type = 3;  // UFO: not something a TUN sends us
  CHECK(run(h, super) == SplitStatus::kMalformed);
  CHECK(run(good, std::span<const uint8_t>(super).first(30)) == SplitStatus::kMalformed);  // cut header
  CHECK(run(good, std::span<const uint8_t>(super).first(40)) == SplitStatus::kMalformed);  // no payload
  CHECK(run(good, std::span<const uint8_t>()) == SplitStatus::kMalformed);
  h = good;
  h.gso_size = 1400;  // 40 + 1400 > 1420
  CHECK(run(h, super) == SplitStatus::kTooLarge);
  VnetHdr plain;
  plain.flags = VnetHdr::kNeedsCsum;
  plain.csum_start = 5000;
  CHECK(run(plain, std::span<const uint8_t>(super).first(100)) == SplitStatus::kMalformed);
  CHECK(run(VnetHdr{}, super) == SplitStatus::kTooLarge);  // 5040 bytes, no GSO
  CHECK(out.size() == 0);
  // Bad TCP data offset (< 5 words).
  Bytes bad = super;
  bad[32] = 0x40;
  CHECK(run(good, bad) == SplitStatus::kMalformed);
}
