// IP packet parsing for the filter: one pass over a plaintext IPv4 or IPv6
// packet that yields its flow key (family, addresses, protocol, ports) and
// the few facts the filter decides on (TCP flags, ICMP type, fragments, the
// flow an ICMP error is about).
//
// Contract: parse() never reads outside `bytes`, never allocates, and
// accepts a packet only if every header it needs lies entirely inside the
// IP packet's own length. Anything else is kMalformed, which the filter
// drops. Bytes after the IP total length (WireGuard's padding) are ignored.
#ifndef ACLC_RUNTIME_FILTER_PACKET_H_
#define ACLC_RUNTIME_FILTER_PACKET_H_

#include <cstdint>
#include <span>

namespace aclc::runtime::filter {

using u128 = unsigned __int128;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpV6 = 58;
inline constexpr uint8_t kProtoSctp = 132;

// TCP flag bits (byte 13 of the TCP header).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpAck = 0x10;

// At most this many IPv6 extension headers are skipped; more is malformed.
inline constexpr int kMaxIpv6ExtensionHeaders = 8;

// The addresses, protocol and ports of one direction of a flow. Addresses
// of family 4 are in the low 32 bits. Ports are the transport ports for
// TCP, UDP and SCTP. For ICMP echo the identifier stands in for the port of
// the side that sent the request: a request has src_port = id, dst_port = 0,
// a reply src_port = 0, dst_port = id, so a reply is exactly the reversed
// request and a request from the other side is a different flow. Every other
// protocol and ICMP message has ports 0.
struct FlowKey {
  u128 src = 0;
  u128 dst = 0;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t proto = 0;
  uint8_t family = 0;  // 4 or 6
};

enum class IcmpKind : uint8_t {
  kNone,         // not ICMP / ICMPv6
  kEchoRequest,
  kEchoReply,
  kError,        // unreachable, time exceeded, parameter problem, too big (v6)
  kOther,        // any other message (router advertisement, timestamp, ...)
};

struct Packet {
  FlowKey flow;
  uint8_t tcp_flags = 0;          // TCP only
  uint8_t icmp_type = 0;          // ICMP / ICMPv6 only
  uint8_t icmp_code = 0;
  uint16_t icmp_echo_id = 0;      // echo request / reply only
  IcmpKind icmp = IcmpKind::kNone;
  bool fragment = false;          // part of a fragmented datagram
  bool later_fragment = false;    // offset > 0: no transport header, ports 0
  // kError only: the flow of the packet that caused the error, as that
  // packet travelled (its src is where this error is sent back to). Ports as
  // in FlowKey; an embedded ICMP echo keeps its request/reply orientation.
  FlowKey related;
  bool has_related = false;       // false if the quote is too short or an error itself
};

enum class ParseResult : uint8_t { kOk, kMalformed };

ParseResult parse(std::span<const uint8_t> bytes, Packet& out);

}  // namespace aclc::runtime::filter

#endif  // ACLC_RUNTIME_FILTER_PACKET_H_
