// Coalescing TCP segments into GSO super-packets on TUN writes
// (runtime/io/tcp_coalesce): what coalesces, what does not, and that a
// super-packet segments back into exactly the original packets.
#include <doctest/doctest.h>

#include "runtime/io/gso_split.h"
#include "runtime/io/tcp_coalesce.h"
#include "tests/runtime/io_packets.h"

using namespace aclc::runtime::io;
using namespace io_test;

namespace {

using Span = std::span<const uint8_t>;

// n consecutive full segments of one flow (IDs and sequence numbers advance).
std::vector<Bytes> flow(Tcp t, size_t n, size_t mss, size_t last = 0) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; i++) {
    size_t len = (i + 1 == n && last) ? last : mss;
    out.push_back(tcp_packet(t, payload_bytes(len, uint8_t(i))));
    t.seq += uint32_t(len);
    t.id++;
  }
  return out;
}

std::vector<TunWrite> plan(const std::vector<Bytes>& pkts) {
  std::vector<Span> spans(pkts.begin(), pkts.end());
  std::vector<TunWrite> w;
  plan_tun_writes(spans, w);
  return w;
}

std::vector<size_t> counts(const std::vector<TunWrite>& w) {
  std::vector<size_t> c;
  for (auto x : w) c.push_back(x.count);
  return c;
}

}  // namespace

TEST_CASE("io tcp coalesce: one flow's segments become one super-packet that splits back exactly") {
  for (int v : {4, 6}) {
    Tcp t;
    t.version = v;
    if (v == 6) t.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, t.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    t.options = {1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0};
    std::vector<Bytes> pkts = flow(t, 9, 1348, 77);
    pkts.back()[(v == 4 ? 20 : 40) + 13] |= 0x08;  // PSH on the last
    fix_l4_checksum(pkts.back());
    auto w = plan(pkts);
    REQUIRE(counts(w) == std::vector<size_t>{9});

    std::vector<Span> spans(pkts.begin(), pkts.end());
    uint8_t header[kMaxSuperHeader];
    size_t h = build_super_header(spans, header);
    const size_t l4 = v == 4 ? 20 : 40;
    CHECK(h == l4 + 32);
    VnetHdr vh = VnetHdr::decode(header);
    CHECK(vh.gso_type == (v == 4 ? VnetHdr::kGsoTcpV4 : VnetHdr::kGsoTcpV6));
    CHECK(vh.flags == VnetHdr::kNeedsCsum);
    CHECK(vh.gso_size == 1348);
    CHECK(vh.hdr_len == h);
    CHECK(vh.csum_start == l4);
    CHECK(vh.csum_offset == 16);

    Bytes super(header + kVnetHdrSize, header + kVnetHdrSize + h);
    for (auto& p : pkts) super.insert(super.end(), p.begin() + long(h), p.end());
    CHECK(super.size() == h + 8 * 1348 + 77);
    if (v == 4) {
      CHECK(get16(&super[2]) == super.size());
      CHECK(ipv4_header_ok(super));
    } else {
      CHECK(get16(&super[4]) == super.size() - 40);
    }
    // The TCP field holds the pseudo-header sum (what the kernel finishes).
    Bytes pseudo;
    if (v == 4) pseudo.assign(super.begin() + 12, super.begin() + 20);
    else pseudo.assign(super.begin() + 8, super.begin() + 40);
    uint32_t len = uint32_t(super.size() - l4);
    pseudo.insert(pseudo.end(), {0, 0, 0, 6, uint8_t(len >> 24), uint8_t(len >> 16), uint8_t(len >> 8), uint8_t(len)});
    CHECK(get16(&super[l4 + 16]) == ref_sum(pseudo));
    CHECK((super[l4 + 13] & 0x08) != 0);  // PSH of the last segment

    // The kernel's segmentation, which split_super_packet mirrors, restores every packet.
    PacketBatch out(1500);
    size_t next = 0;
    REQUIRE(split_super_packet(vh, super, out, next) == SplitStatus::kDone);
    REQUIRE(out.size() == pkts.size());
    for (size_t i = 0; i < pkts.size(); i++) CHECK(Bytes(out.packet(i).begin(), out.packet(i).end()) == pkts[i]);
  }
}

TEST_CASE("io tcp coalesce: what ends or prevents a run") {
  Tcp t;
  const size_t mss = 1000;
  SUBCASE("a short segment ends the run") {
    auto a = flow(t, 3, mss, 500);
    Tcp t2 = t;
    t2.seq += 2500;
    t2.id += 3;
    a.push_back(tcp_packet(t2, payload_bytes(mss)));
    CHECK(counts(plan(a)) == std::vector<size_t>{3, 1});
  }
  SUBCASE("a larger segment after the first does not join") {
    auto a = flow(t, 2, mss);
    Tcp t2 = t;
    t2.seq += 2000;
    t2.id += 2;
    a.push_back(tcp_packet(t2, payload_bytes(mss + 1)));
    CHECK(counts(plan(a)) == std::vector<size_t>{2, 1});
  }
  SUBCASE("PSH ends the run") {
    auto a = flow(t, 4, mss);
    a[1][33] |= 0x08;
    fix_l4_checksum(a[1]);
    CHECK(counts(plan(a)) == std::vector<size_t>{2, 2});
  }
  SUBCASE("a sequence gap, another flow, another ACK, other options") {
    auto a = flow(t, 4, mss);
    put32(&a[2][24], get32(&a[2][24]) + 1);  // a gap before 2 (and an overlap before 3)
    CHECK(counts(plan(a)) == std::vector<size_t>{2, 1, 1});
    a = flow(t, 4, mss);
    put16(&a[2][20], 1);  // source port
    CHECK(counts(plan(a)) == std::vector<size_t>{2, 1, 1});
    a = flow(t, 4, mss);
    put32(&a[1][28], 99);  // ACK number
    CHECK(counts(plan(a)) == std::vector<size_t>{1, 1, 2});
    Tcp o = t;
    o.options = {1, 1, 1, 1};
    a = flow(t, 2, mss);
    auto b = flow(o, 2, mss);
    put16(&b[0][4], uint16_t(get16(&a[1][4]) + 1));  // consecutive ID: only the options differ
    put32(&b[0][24], t.seq + 2000);
    a.push_back(b[0]);
    CHECK(counts(plan(a)) == std::vector<size_t>{2, 1});
  }
  SUBCASE("IPv4: non-consecutive IDs, TTL, TOS, options and fragments") {
    auto a = flow(t, 3, mss);
    put16(&a[1][4], 5);
    CHECK(counts(plan(a)) == std::vector<size_t>{1, 1, 1});
    a = flow(t, 3, mss);
    a[2][8] = 1;  // TTL
    CHECK(counts(plan(a)) == std::vector<size_t>{2, 1});
    a = flow(t, 3, mss);
    a[1][1] = 3;  // ECN CE
    CHECK(counts(plan(a)) == std::vector<size_t>{1, 1, 1});
    a = flow(t, 2, mss);
    a[0][6] |= 0x20;  // MF: a fragment is never coalesced
    CHECK(counts(plan(a)) == std::vector<size_t>{1, 1});
    a = flow(t, 2, mss);
    a[0][0] = 0x46;  // IHL 6: IPv4 options
    CHECK(counts(plan(a)) == std::vector<size_t>{1, 1});
  }
  SUBCASE("flags other than ACK/PSH, empty payloads, UDP, garbage") {
    for (uint8_t f : {0x02, 0x12, 0x11, 0x14, 0x30, 0x50, 0x90}) {  // SYN, SYN|ACK, FIN, RST, URG, ECE, CWR
      auto a = flow(t, 3, mss);
      a[0][33] = f;
      CHECK(counts(plan(a)) == std::vector<size_t>{1, 2});
    }
    std::vector<Bytes> a = {tcp_packet(t, {}), udp_packet(4, 1, 2, payload_bytes(10)), Bytes{0x45}, Bytes{}};
    auto f = flow(t, 2, mss);
    a.insert(a.end(), f.begin(), f.end());
    CHECK(counts(plan(a)) == std::vector<size_t>{1, 1, 1, 1, 2});
  }
  SUBCASE("a total length field that disagrees with the packet") {
    auto a = flow(t, 2, mss);
    a[1].push_back(0);
    CHECK(counts(plan(a)) == std::vector<size_t>{1, 1});
  }
  SUBCASE("limits: 64 segments and 65535 bytes") {
    auto a = flow(t, 70, 100);
    CHECK(counts(plan(a)) == std::vector<size_t>{64, 6});
    a = flow(t, 50, 1400);  // 40 + 46 * 1400 = 64440; one more exceeds 65535
    CHECK(counts(plan(a)) == std::vector<size_t>{46, 4});
  }
}
