#include "runtime/io/tcp_coalesce.h"

#include <cstring>
#include <optional>

#include "runtime/io/checksum.h"

namespace aclc::runtime::io {
namespace {

constexpr uint8_t kTcp = 6;
constexpr size_t kMaxIpPacket = 65535;
constexpr uint8_t kAck = 0x10, kPsh = 0x08;

struct Segment {
  int version;
  size_t l4;       // IP header length
  size_t hlen;     // IP + TCP header length
  size_t payload;  // TCP payload bytes
  uint32_t seq;
  uint8_t flags;
};

uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// A TCP segment that may join a run: well formed, exactly sized, no IPv4
// options or fragments, no IPv6 extension headers, flags ACK or ACK|PSH,
// some payload.
std::optional<Segment> parse(std::span<const uint8_t> p) {
  Segment s{};
  if (p.empty()) return std::nullopt;
  s.version = p[0] >> 4;
  if (s.version == 4) {
    if (p.size() < 20 || (p[0] & 15) != 5 || p[9] != kTcp) return std::nullopt;
    if (csum::load16(&p[2]) != p.size()) return std::nullopt;
    if (csum::load16(&p[6]) & 0x3fff) return std::nullopt;  // MF or a fragment offset
    s.l4 = 20;
  } else if (s.version == 6) {
    if (p.size() < 40 || p[6] != kTcp || size_t(csum::load16(&p[4])) + 40 != p.size())
      return std::nullopt;
    s.l4 = 40;
  } else {
    return std::nullopt;
  }
  if (p.size() < s.l4 + 20) return std::nullopt;
  size_t thl = size_t(p[s.l4 + 12] >> 4) * 4;
  if (thl < 20 || s.l4 + thl > p.size()) return std::nullopt;
  s.hlen = s.l4 + thl;
  s.payload = p.size() - s.hlen;
  s.seq = load32(&p[s.l4 + 4]);
  s.flags = p[s.l4 + 13];
  if ((s.flags & ~kPsh) != kAck || s.payload == 0) return std::nullopt;
  return s;
}

// Whether c (packet q) may follow prev (packet pp) in a run that starts with
// first; run_bytes is the run's IP length so far.
bool follows(const Segment& first, std::span<const uint8_t> pp, const Segment& prev,
             std::span<const uint8_t> q, const Segment& c, size_t run_bytes) {
  if (prev.flags & kPsh) return false;                  // PSH ends a run
  if (prev.payload != first.payload) return false;      // a short segment ends a run
  if (c.payload > first.payload) return false;
  if (c.version != first.version || c.hlen != first.hlen) return false;
  if (run_bytes + c.payload > kMaxIpPacket) return false;
  if (c.seq != prev.seq + uint32_t(prev.payload)) return false;
  const uint8_t* a = pp.data();
  const uint8_t* b = q.data();
  if (c.version == 4) {
    if (a[1] != b[1] || a[6] != b[6] || a[8] != b[8]) return false;  // TOS, DF, TTL
    if (std::memcmp(a + 12, b + 12, 8) != 0) return false;           // addresses
    if (csum::load16(b + 4) != uint16_t(csum::load16(a + 4) + 1)) return false;  // IDs
  } else {
    if (std::memcmp(a, b, 4) != 0 || a[7] != b[7]) return false;     // class, flow, hops
    if (std::memcmp(a + 8, b + 8, 32) != 0) return false;
  }
  const size_t l4 = c.l4;
  if (std::memcmp(a + l4, b + l4, 4) != 0) return false;            // ports
  if (std::memcmp(a + l4 + 8, b + l4 + 8, 4) != 0) return false;    // ACK number
  if (std::memcmp(a + l4 + 20, b + l4 + 20, c.hlen - l4 - 20) != 0) return false;  // options
  return true;
}

}  // namespace

void plan_tun_writes(std::span<const std::span<const uint8_t>> packets, std::vector<TunWrite>& out) {
  out.clear();
  size_t i = 0;
  while (i < packets.size()) {
    TunWrite w{i, 1};
    std::optional<Segment> first = parse(packets[i]);
    if (first) {
      Segment prev = *first;
      size_t bytes = packets[i].size();
      while (w.count < kMaxCoalescedSegments && i + w.count < packets.size()) {
        std::span<const uint8_t> q = packets[i + w.count];
        std::optional<Segment> c = parse(q);
        if (!c || !follows(*first, packets[i + w.count - 1], prev, q, *c, bytes)) break;
        bytes += c->payload;
        prev = *c;
        w.count++;
      }
    }
    out.push_back(w);
    i += w.count;
  }
}

size_t build_super_header(std::span<const std::span<const uint8_t>> run, uint8_t* out) {
  const Segment first = *parse(run[0]);
  const Segment last = *parse(run.back());
  const size_t h = first.hlen, l4 = first.l4;
  size_t total = h;
  for (auto p : run) total += p.size() - h;

  uint8_t* ip = out + kVnetHdrSize;
  std::memcpy(ip, run[0].data(), h);
  std::span<const uint8_t> src, dst;
  if (first.version == 4) {
    csum::store16(ip + 2, uint16_t(total));
    csum::store16(ip + 10, csum::ipv4_header({ip, 20}));
    src = {ip + 12, 4};
    dst = {ip + 16, 4};
  } else {
    csum::store16(ip + 4, uint16_t(total - 40));
    src = {ip + 8, 16};
    dst = {ip + 24, 16};
  }
  ip[l4 + 13] |= uint8_t(last.flags & kPsh);
  // NEEDS_CSUM: the field carries the pseudo-header sum for the kernel to
  // finish over the whole segment (as tcp_v4_send_check leaves it).
  csum::store16(ip + l4 + 16, csum::pseudo_header(src, dst, kTcp, uint32_t(total - l4)));

  VnetHdr v;
  v.flags = VnetHdr::kNeedsCsum;
  v.gso_type = first.version == 4 ? VnetHdr::kGsoTcpV4 : VnetHdr::kGsoTcpV6;
  v.hdr_len = uint16_t(h);
  v.gso_size = uint16_t(first.payload);
  v.csum_start = uint16_t(l4);
  v.csum_offset = 16;
  v.encode(out);
  return h;
}

}  // namespace aclc::runtime::io
