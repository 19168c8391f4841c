#include "runtime/filter/packet.h"

#include <cstddef>

namespace aclc::runtime::filter {
namespace {

using Bytes = std::span<const uint8_t>;

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
u128 be128(const uint8_t* p) {
  u128 v = 0;
  for (int i = 0; i < 16; ++i) v = v << 8 | p[i];
  return v;
}

constexpr uint8_t kExtHopByHop = 0;
constexpr uint8_t kExtRouting = 43;
constexpr uint8_t kExtFragment = 44;
constexpr uint8_t kExtAuth = 51;
constexpr uint8_t kExtDestOpts = 60;

bool is_icmp_of(uint8_t family, uint8_t proto) {
  return (family == 4 && proto == kProtoIcmp) || (family == 6 && proto == kProtoIcmpV6);
}

bool has_ports(uint8_t proto) {
  return proto == kProtoTcp || proto == kProtoUdp || proto == kProtoSctp;
}

IcmpKind icmp_kind(uint8_t family, uint8_t type) {
  if (family == 4) {
    switch (type) {
      case 8: return IcmpKind::kEchoRequest;
      case 0: return IcmpKind::kEchoReply;
      case 3:   // destination unreachable (incl. fragmentation needed)
      case 11:  // time exceeded
      case 12:  // parameter problem
        return IcmpKind::kError;
      default: return IcmpKind::kOther;
    }
  }
  switch (type) {
    case 128: return IcmpKind::kEchoRequest;
    case 129: return IcmpKind::kEchoReply;
    case 1:  // destination unreachable
    case 2:  // packet too big
    case 3:  // time exceeded
    case 4:  // parameter problem
      return IcmpKind::kError;
    default: return IcmpKind::kOther;
  }
}

// The network layer of one IP packet (outer or quoted in an ICMP error).
struct Ip {
  uint8_t family = 0;
  uint8_t proto = 0;
  u128 src = 0, dst = 0;
  bool fragment = false;
  bool later_fragment = false;
  Bytes payload;  // the transport header onwards (to the end of `bytes`)
};

// `quoted`: the packet sits inside an ICMP error, so its total length may
// exceed the bytes present; the payload is then whatever was quoted.
bool parse_ipv4(Bytes bytes, bool quoted, Ip& ip) {
  if (bytes.size() < 20 || (bytes[0] >> 4) != 4) return false;
  size_t header = size_t(bytes[0] & 0x0f) * 4;
  size_t total = be16(&bytes[2]);
  if (header < 20 || header > bytes.size()) return false;
  if (!quoted) {
    if (total < header || total > bytes.size()) return false;
    bytes = bytes.first(total);
  }
  uint16_t frag = be16(&bytes[6]);
  uint16_t offset = frag & 0x1fff;
  ip.family = 4;
  ip.proto = bytes[9];
  ip.src = be32(&bytes[12]);
  ip.dst = be32(&bytes[16]);
  ip.fragment = (frag & 0x2000) != 0 || offset != 0;
  ip.later_fragment = offset != 0;
  // RFC 1858: a TCP fragment at offset 8 bytes can only exist to overwrite
  // the flags of the first one.
  if (offset == 1 && ip.proto == kProtoTcp) return false;
  ip.payload = bytes.subspan(header);
  return true;
}

bool parse_ipv6(Bytes bytes, bool quoted, Ip& ip) {
  if (bytes.size() < 40 || (bytes[0] >> 4) != 6) return false;
  size_t total = 40 + size_t(be16(&bytes[4]));
  if (!quoted) {
    if (total > bytes.size()) return false;
    bytes = bytes.first(total);
  }
  ip.family = 6;
  ip.src = be128(&bytes[8]);
  ip.dst = be128(&bytes[24]);
  uint8_t next = bytes[6];
  size_t at = 40;
  for (int seen = 0;; ++seen) {
    bool extension = next == kExtHopByHop || next == kExtRouting || next == kExtFragment ||
                     next == kExtAuth || next == kExtDestOpts;
    if (!extension) break;
    if (seen == kMaxIpv6ExtensionHeaders) return false;
    if (bytes.size() - at < 8) return false;  // every extension header is >= 8 bytes
    const uint8_t* h = &bytes[at];
    size_t len;
    if (next == kExtFragment) {
      len = 8;
      uint16_t offset = be16(&h[2]) >> 3;
      ip.fragment = true;
      if (offset != 0) {
        // No transport header follows in a later fragment.
        ip.later_fragment = true;
        ip.proto = h[0];
        ip.payload = bytes.subspan(at + len);
        return true;
      }
    } else if (next == kExtAuth) {
      len = (size_t(h[1]) + 2) * 4;
    } else {
      len = (size_t(h[1]) + 1) * 8;
    }
    if (len > bytes.size() - at) return false;
    next = h[0];
    at += len;
  }
  ip.proto = next;
  ip.payload = bytes.subspan(at);
  return true;
}

// The flow of a packet quoted in an ICMP error, if it can be told: the
// quote must hold its addresses and ports, be of the outer family, not be a
// later fragment, and not be an ICMP error or other untracked message.
bool parse_quote(Bytes quote, uint8_t family, FlowKey& flow) {
  Ip ip;
  bool ok = family == 4 ? parse_ipv4(quote, true, ip) : parse_ipv6(quote, true, ip);
  if (!ok || ip.later_fragment) return false;
  flow = FlowKey{ip.src, ip.dst, 0, 0, ip.proto, family};
  Bytes l4 = ip.payload;
  if (has_ports(ip.proto)) {
    if (l4.size() < 4) return false;
    flow.src_port = be16(&l4[0]);
    flow.dst_port = be16(&l4[2]);
  } else if (is_icmp_of(family, ip.proto)) {
    if (l4.size() < 8) return false;
    IcmpKind kind = icmp_kind(family, l4[0]);
    uint16_t id = be16(&l4[4]);
    if (kind == IcmpKind::kEchoRequest) {
      flow.src_port = id;
    } else if (kind == IcmpKind::kEchoReply) {
      flow.dst_port = id;
    } else {
      return false;
    }
  }
  return true;
}

bool parse_transport(const Ip& ip, Packet& out) {
  Bytes l4 = ip.payload;
  uint8_t proto = ip.proto;
  if (ip.later_fragment) return true;
  if (proto == kProtoTcp) {
    if (l4.size() < 20) return false;
    size_t data_offset = size_t(l4[12] >> 4) * 4;
    if (data_offset < 20 || data_offset > l4.size()) return false;
    out.flow.src_port = be16(&l4[0]);
    out.flow.dst_port = be16(&l4[2]);
    out.tcp_flags = l4[13];
    return true;
  }
  if (proto == kProtoUdp || proto == kProtoSctp) {
    if (l4.size() < (proto == kProtoUdp ? 8u : 12u)) return false;
    out.flow.src_port = be16(&l4[0]);
    out.flow.dst_port = be16(&l4[2]);
    return true;
  }
  if (is_icmp_of(ip.family, proto)) {
    if (l4.size() < 8) return false;
    out.icmp_type = l4[0];
    out.icmp_code = l4[1];
    out.icmp = icmp_kind(ip.family, l4[0]);
    if (out.icmp == IcmpKind::kEchoRequest || out.icmp == IcmpKind::kEchoReply) {
      out.icmp_echo_id = be16(&l4[4]);
      if (out.icmp == IcmpKind::kEchoRequest) {
        out.flow.src_port = out.icmp_echo_id;
      } else {
        out.flow.dst_port = out.icmp_echo_id;
      }
    } else if (out.icmp == IcmpKind::kError) {
      out.has_related = parse_quote(l4.subspan(8), ip.family, out.related);
    }
    return true;
  }
  return true;  // any other protocol: no ports
}

}  // namespace

ParseResult parse(std::span<const uint8_t> bytes, Packet& out) {
  out = Packet{};
  if (bytes.empty()) return ParseResult::kMalformed;
  Ip ip;
  uint8_t version = bytes[0] >> 4;
  bool ok = version == 4 ? parse_ipv4(bytes, false, ip)
          : version == 6 ? parse_ipv6(bytes, false, ip)
                         : false;
  if (!ok) return ParseResult::kMalformed;
  out.flow.family = ip.family;
  out.flow.proto = ip.proto;
  out.flow.src = ip.src;
  out.flow.dst = ip.dst;
  out.fragment = ip.fragment;
  out.later_fragment = ip.later_fragment;
  if (!parse_transport(ip, out)) {
    out = Packet{};
    return ParseResult::kMalformed;
  }
  return ParseResult::kOk;
}

}  // namespace aclc::runtime::filter
