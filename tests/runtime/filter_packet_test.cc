// The filter's packet parser: every protocol it reads, both families, IPv4
// options and IPv6 extension headers, fragments, ICMP errors and the flow
// they quote, and every truncation of every valid packet (malformed, never a
// read past the buffer: run under ASan).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "runtime/filter/packet.h"
#include "tests/runtime/filter_test_packets.h"

using namespace aclc::runtime::filter;
using namespace aclc::runtime::filter::testing;

namespace {

const uint32_t kA = v4(100, 64, 0, 1);
const uint32_t kB = v4(100, 64, 0, 2);
const u128 kA6 = v6(1);
const u128 kB6 = v6(2);

Packet must_parse(const Bytes& b) {
  Packet p;
  REQUIRE(parse(b, p) == ParseResult::kOk);
  return p;
}

// Every packet the valid-packet tests use, for the truncation sweep.
std::vector<Bytes> valid_packets() {
  Bytes quoted_v4 = ipv4(kB, kA, kProtoUdp, udp(5000, 53));
  Bytes quoted_v6 = ipv6(kB6, kA6, kProtoTcp, tcp(5000, 443, kTcpSyn));
  return {
      ipv4(kA, kB, kProtoTcp, tcp(40000, 22, kTcpSyn)),
      ipv4(kA, kB, kProtoTcp, tcp(40000, 22, kTcpAck, 100), {Bytes(8, 1)}),
      ipv4(kA, kB, kProtoUdp, udp(1234, 53)),
      ipv4(kA, kB, kProtoSctp, sctp(9, 10)),
      ipv4(kA, kB, kProtoIcmp, icmp(8, 0, 77, 1)),
      ipv4(kA, kB, kProtoIcmp, icmp(3, 3, 0, 0, quoted_v4)),
      ipv4(kA, kB, 47, Bytes(12, 0)),
      ipv4(kA, kB, kProtoUdp, Bytes(16, 0), {{}, 10, false}),
      ipv6(kA6, kB6, kProtoTcp, tcp(1, 2, kTcpSyn | kTcpAck)),
      ipv6(kA6, kB6, kProtoUdp, udp(3, 4), {hop_by_hop(1), routing(), dest_opts()}),
      ipv6(kA6, kB6, kProtoSctp, sctp(5, 6), {auth_header()}),
      ipv6(kA6, kB6, kProtoIcmpV6, icmp(128, 0, 9, 9)),
      ipv6(kA6, kB6, kProtoIcmpV6, icmp(2, 0, 0, 1280, quoted_v6)),
      ipv6(kA6, kB6, kProtoUdp, udp(7, 8), {fragment(0, true)}),
      ipv6(kA6, kB6, kProtoUdp, Bytes(24, 0), {fragment(3, false)}),
  };
}

}  // namespace

TEST_CASE("filter packet: IPv4 TCP, UDP, SCTP and other protocols") {
  Packet p = must_parse(ipv4(kA, kB, kProtoTcp, tcp(40000, 22, kTcpSyn)));
  CHECK(p.flow.family == 4);
  CHECK(p.flow.src == kA);
  CHECK(p.flow.dst == kB);
  CHECK(p.flow.proto == kProtoTcp);
  CHECK(p.flow.src_port == 40000);
  CHECK(p.flow.dst_port == 22);
  CHECK(p.tcp_flags == kTcpSyn);
  CHECK(p.icmp == IcmpKind::kNone);
  CHECK_FALSE(p.fragment);

  p = must_parse(ipv4(kA, kB, kProtoUdp, udp(1234, 53)));
  CHECK(p.flow.proto == kProtoUdp);
  CHECK(p.flow.src_port == 1234);
  CHECK(p.flow.dst_port == 53);

  p = must_parse(ipv4(kA, kB, kProtoSctp, sctp(9, 10)));
  CHECK(p.flow.src_port == 9);
  CHECK(p.flow.dst_port == 10);

  p = must_parse(ipv4(kA, kB, 47, Bytes(12, 0xff)));  // GRE: no ports
  CHECK(p.flow.proto == 47);
  CHECK(p.flow.src_port == 0);
  CHECK(p.flow.dst_port == 0);
}

TEST_CASE("filter packet: IPv4 options are skipped") {
  Bytes opts = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, EOL
  Packet p = must_parse(ipv4(kA, kB, kProtoTcp, tcp(1, 443, kTcpAck), {opts}));
  CHECK(p.flow.src_port == 1);
  CHECK(p.flow.dst_port == 443);
  CHECK(p.tcp_flags == kTcpAck);
}

TEST_CASE("filter packet: bytes past the IP total length (WireGuard padding) are ignored") {
  Bytes b = ipv4(kA, kB, kProtoUdp, udp(1, 2));
  b.resize(b.size() + 13, 0);
  Packet p = must_parse(b);
  CHECK(p.flow.dst_port == 2);
  Bytes b6 = ipv6(kA6, kB6, kProtoUdp, udp(3, 4));
  b6.resize(b6.size() + 7, 0);
  CHECK(must_parse(b6).flow.dst_port == 4);
}

TEST_CASE("filter packet: IPv4 fragments") {
  Packet first = must_parse(ipv4(kA, kB, kProtoUdp, udp(1, 2), {{}, 0, true}));
  CHECK(first.fragment);
  CHECK_FALSE(first.later_fragment);
  CHECK(first.flow.dst_port == 2);

  Packet later = must_parse(ipv4(kA, kB, kProtoUdp, Bytes(16, 0xee), {{}, 185, true}));
  CHECK(later.fragment);
  CHECK(later.later_fragment);
  CHECK(later.flow.proto == kProtoUdp);
  CHECK(later.flow.src_port == 0);
  CHECK(later.flow.dst_port == 0);

  // RFC 1858: TCP at fragment offset 1 only serves to overwrite the flags.
  Packet p;
  CHECK(parse(ipv4(kA, kB, kProtoTcp, Bytes(16, 0), {{}, 1, false}), p) == ParseResult::kMalformed);
  // A first fragment too short for the TCP header.
  CHECK(parse(ipv4(kA, kB, kProtoTcp, Bytes(8, 0), {{}, 0, true}), p) == ParseResult::kMalformed);
}

TEST_CASE("filter packet: IPv6 with extension headers") {
  Packet p = must_parse(ipv6(kA6, kB6, kProtoTcp, tcp(1, 2, kTcpSyn | kTcpAck)));
  CHECK(p.flow.family == 6);
  CHECK(p.flow.src == kA6);
  CHECK(p.flow.dst == kB6);
  CHECK(p.tcp_flags == (kTcpSyn | kTcpAck));

  p = must_parse(ipv6(kA6, kB6, kProtoUdp, udp(3, 4), {hop_by_hop(1), routing(), dest_opts()}));
  CHECK(p.flow.proto == kProtoUdp);
  CHECK(p.flow.src_port == 3);
  CHECK(p.flow.dst_port == 4);

  p = must_parse(ipv6(kA6, kB6, kProtoSctp, sctp(5, 6), {auth_header()}));
  CHECK(p.flow.proto == kProtoSctp);
  CHECK(p.flow.dst_port == 6);

  p = must_parse(ipv6(kA6, kB6, kProtoUdp, udp(7, 8), {fragment(0, true)}));
  CHECK(p.fragment);
  CHECK_FALSE(p.later_fragment);
  CHECK(p.flow.dst_port == 8);

  p = must_parse(ipv6(kA6, kB6, kProtoUdp, Bytes(24, 0), {dest_opts(), fragment(3, false)}));
  CHECK(p.later_fragment);
  CHECK(p.flow.proto == kProtoUdp);
  CHECK(p.flow.dst_port == 0);

  // ESP and no-next-header end the chain like any upper-layer protocol.
  p = must_parse(ipv6(kA6, kB6, 50, Bytes(16, 0)));
  CHECK(p.flow.proto == 50);
  p = must_parse(ipv6(kA6, kB6, 59, {}));
  CHECK(p.flow.proto == 59);
}

TEST_CASE("filter packet: IPv6 extension header chains are bounded") {
  Packet p;
  Bytes eight = ipv6(kA6, kB6, kProtoUdp, udp(1, 2),
                     {dest_opts(), dest_opts(), dest_opts(), dest_opts(), dest_opts(),
                      dest_opts(), dest_opts(), dest_opts()});
  CHECK(parse(eight, p) == ParseResult::kOk);
  Bytes nine = ipv6(kA6, kB6, kProtoUdp, udp(1, 2),
                    {dest_opts(), dest_opts(), dest_opts(), dest_opts(), dest_opts(),
                     dest_opts(), dest_opts(), dest_opts(), dest_opts()});
  CHECK(parse(nine, p) == ParseResult::kMalformed);
  // A header whose length runs past the packet.
  Bytes long_header = ipv6(kA6, kB6, kProtoUdp, udp(1, 2), {hop_by_hop()});
  long_header[41] = 200;
  CHECK(parse(long_header, p) == ParseResult::kMalformed);
}

TEST_CASE("filter packet: ICMP echo maps the identifier onto the requester's port") {
  Packet req = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(8, 0, 0x1234, 7)));
  CHECK(req.icmp == IcmpKind::kEchoRequest);
  CHECK(req.icmp_type == 8);
  CHECK(req.icmp_echo_id == 0x1234);
  CHECK(req.flow.src_port == 0x1234);
  CHECK(req.flow.dst_port == 0);

  Packet rep = must_parse(ipv4(kB, kA, kProtoIcmp, icmp(0, 0, 0x1234, 7)));
  CHECK(rep.icmp == IcmpKind::kEchoReply);
  CHECK(rep.flow.src_port == 0);
  CHECK(rep.flow.dst_port == 0x1234);

  Packet req6 = must_parse(ipv6(kA6, kB6, kProtoIcmpV6, icmp(128, 0, 5)));
  CHECK(req6.icmp == IcmpKind::kEchoRequest);
  CHECK(req6.flow.src_port == 5);
  Packet rep6 = must_parse(ipv6(kB6, kA6, kProtoIcmpV6, icmp(129, 0, 5)));
  CHECK(rep6.icmp == IcmpKind::kEchoReply);
  CHECK(rep6.flow.dst_port == 5);

  Packet other = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(13, 0, 1, 1)));  // timestamp
  CHECK(other.icmp == IcmpKind::kOther);
  CHECK(other.flow.src_port == 0);
  CHECK(other.flow.dst_port == 0);
  Packet nd = must_parse(ipv6(kA6, kB6, kProtoIcmpV6, icmp(135, 0)));  // neighbour solicitation
  CHECK(nd.icmp == IcmpKind::kOther);

  // ICMPv4 inside IPv6 (and the reverse) is just another protocol.
  Packet odd = must_parse(ipv6(kA6, kB6, kProtoIcmp, icmp(8, 0, 5)));
  CHECK(odd.icmp == IcmpKind::kNone);
  CHECK(odd.flow.src_port == 0);
}

TEST_CASE("filter packet: ICMP errors carry the flow they quote") {
  // B sent UDP 5000 -> A:53; A answers with port unreachable.
  Bytes quote = ipv4(kB, kA, kProtoUdp, udp(5000, 53));
  Packet p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(3, 3, 0, 0, quote)));
  CHECK(p.icmp == IcmpKind::kError);
  CHECK(p.icmp_type == 3);
  CHECK(p.icmp_code == 3);
  REQUIRE(p.has_related);
  CHECK(p.related.family == 4);
  CHECK(p.related.src == kB);
  CHECK(p.related.dst == kA);
  CHECK(p.related.proto == kProtoUdp);
  CHECK(p.related.src_port == 5000);
  CHECK(p.related.dst_port == 53);

  // Only the first 8 bytes of the transport header are quoted (RFC 792).
  Bytes tcp_quote = ipv4(kB, kA, kProtoTcp, tcp(6000, 443, kTcpSyn));
  tcp_quote.resize(28);
  p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(11, 0, 0, 0, tcp_quote)));
  REQUIRE(p.has_related);
  CHECK(p.related.proto == kProtoTcp);
  CHECK(p.related.dst_port == 443);

  // A quoted echo request keeps its orientation.
  p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(3, 1, 0, 0, ipv4(kB, kA, kProtoIcmp, icmp(8, 0, 99)))));
  REQUIRE(p.has_related);
  CHECK(p.related.src_port == 99);
  CHECK(p.related.dst_port == 0);

  // IPv6: packet too big, quoting TCP behind an extension header.
  Bytes q6 = ipv6(kB6, kA6, kProtoTcp, tcp(7000, 22, kTcpAck), {dest_opts()});
  p = must_parse(ipv6(kA6, kB6, kProtoIcmpV6, icmp(2, 0, 0, 1280, q6)));
  CHECK(p.icmp == IcmpKind::kError);
  REQUIRE(p.has_related);
  CHECK(p.related.family == 6);
  CHECK(p.related.src == kB6);
  CHECK(p.related.src_port == 7000);
  CHECK(p.related.dst_port == 22);

  for (uint8_t type : {1, 3, 4}) {
    p = must_parse(ipv6(kA6, kB6, kProtoIcmpV6, icmp(type, 0, 0, 0, q6)));
    CHECK(p.icmp == IcmpKind::kError);
    CHECK(p.has_related);
  }
  for (uint8_t type : {3, 11, 12}) {
    p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(type, 0, 0, 0, quote)));
    CHECK(p.icmp == IcmpKind::kError);
    CHECK(p.has_related);
  }
}

TEST_CASE("filter packet: ICMP errors whose quote tells no flow") {
  Packet p;
  // Too short to hold the quoted ports.
  Bytes quote = ipv4(kB, kA, kProtoUdp, udp(5000, 53));
  quote.resize(22);
  p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(3, 3, 0, 0, quote)));
  CHECK(p.icmp == IcmpKind::kError);
  CHECK_FALSE(p.has_related);
  // Of the other family.
  p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(3, 3, 0, 0, ipv6(kB6, kA6, kProtoUdp, udp(1, 2)))));
  CHECK_FALSE(p.has_related);
  // An error about an error.
  Bytes inner_error = ipv4(kB, kA, kProtoIcmp, icmp(3, 3, 0, 0, ipv4(kA, kB, kProtoUdp, udp(1, 2))));
  p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(11, 0, 0, 0, inner_error)));
  CHECK_FALSE(p.has_related);
  // About a later fragment (no ports).
  p = must_parse(ipv4(kA, kB, kProtoIcmp,
                      icmp(11, 1, 0, 0, ipv4(kB, kA, kProtoUdp, Bytes(8, 0), {{}, 20, false}))));
  CHECK_FALSE(p.has_related);
  // No quote at all.
  p = must_parse(ipv4(kA, kB, kProtoIcmp, icmp(3, 0)));
  CHECK_FALSE(p.has_related);
}

TEST_CASE("filter packet: malformed headers") {
  Packet p;
  CHECK(parse({}, p) == ParseResult::kMalformed);
  Bytes b = ipv4(kA, kB, kProtoUdp, udp(1, 2));
  Bytes bad = b;
  bad[0] = 0x44;  // IHL 4
  CHECK(parse(bad, p) == ParseResult::kMalformed);
  bad = b;
  bad[0] = 0x5f;  // version 5
  CHECK(parse(bad, p) == ParseResult::kMalformed);
  bad = b;
  bad[0] = 0x4f;  // IHL 15: 60 bytes, more than the packet
  CHECK(parse(bad, p) == ParseResult::kMalformed);
  bad = b;
  put16(bad, 2, 19);  // total length below the header
  CHECK(parse(bad, p) == ParseResult::kMalformed);
  bad = b;
  put16(bad, 2, uint16_t(b.size() + 1));  // claims more than present
  CHECK(parse(bad, p) == ParseResult::kMalformed);

  Bytes t = ipv4(kA, kB, kProtoTcp, tcp(1, 2, kTcpSyn));
  bad = t;
  bad[20 + 12] = 4 << 4;  // TCP data offset 4
  CHECK(parse(bad, p) == ParseResult::kMalformed);
  bad = t;
  bad[20 + 12] = 6 << 4;  // data offset past the segment
  CHECK(parse(bad, p) == ParseResult::kMalformed);

  Bytes six = ipv6(kA6, kB6, kProtoUdp, udp(1, 2));
  bad = six;
  put16(bad, 4, uint16_t(six.size()));  // payload length past the buffer
  CHECK(parse(bad, p) == ParseResult::kMalformed);
  bad = six;
  put16(bad, 4, 4);  // payload too short for UDP
  CHECK(parse(bad, p) == ParseResult::kMalformed);
  CHECK(p.flow.family == 0);  // a failed parse leaves nothing behind
}

TEST_CASE("filter packet: every truncation of a valid packet is malformed") {
  for (const Bytes& whole : valid_packets()) {
    Packet p;
    REQUIRE(parse(whole, p) == ParseResult::kOk);
    for (size_t n = 0; n < whole.size(); ++n) {
      // A copy of exactly n bytes on the heap, so ASan sees any overread.
      std::vector<uint8_t> prefix(whole.begin(), whole.begin() + ptrdiff_t(n));
      INFO("length " << n << " of " << whole.size());
      CHECK(parse(prefix, p) == ParseResult::kMalformed);
    }
  }
}

TEST_CASE("filter packet: every truncation with a length field that agrees") {
  // Shortening the packet and its length field together: the parse either
  // fails or yields the same addresses; it never reads past the end.
  for (const Bytes& whole : valid_packets()) {
    for (size_t n = 0; n <= whole.size(); ++n) {
      Bytes cut(whole.begin(), whole.begin() + ptrdiff_t(n));
      if (n >= 4 && (whole[0] >> 4) == 4) put16(cut, 2, uint16_t(n));
      if (n >= 6 && (whole[0] >> 4) == 6) put16(cut, 4, uint16_t(n >= 40 ? n - 40 : 0));
      Packet p;
      if (parse(cut, p) == ParseResult::kOk) {
        Packet full = must_parse(whole);
        CHECK(p.flow.src == full.flow.src);
        CHECK(p.flow.dst == full.flow.dst);
      }
    }
  }
}
