// The write side's GRO: consecutive TCP segments of one flow are written to
// the TUN as one GSO super-packet, so the kernel's stack handles one skb
// instead of dozens (wireguard-go tun/offload_linux.go; the kernel's
// tcp_gro_receive rules).
//
// Packets k and k+1 coalesce when: same IP version and addresses, IPv4
// without options or fragmentation and with consecutive IDs and equal
// TOS/TTL/DF; IPv6 without extension headers and equal traffic class, flow
// label and hop limit; same ports, ACK number, TCP header length and options;
// flags exactly ACK (PSH allowed on the last segment of a run); next
// sequence number; every segment but the last has the first's payload size
// and the last is not larger; the run stays within 65535 bytes. Anything
// else (SYN, FIN, RST, URG, CWR/ECE, empty payloads, UDP, ICMP, malformed)
// is written alone, in order.
//
// Checksums of the segments are not verified: the packets were
// authenticated by WireGuard and the kernel checks the super-packet's
// TCP checksum, which we leave for it to complete (NEEDS_CSUM).
#ifndef ACLC_RUNTIME_IO_TCP_COALESCE_H_
#define ACLC_RUNTIME_IO_TCP_COALESCE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/io/vnet_hdr.h"

namespace aclc::runtime::io {

// Segments in one super-packet at most (also bounds writev's iovecs).
inline constexpr size_t kMaxCoalescedSegments = 64;

// One write(2): packets [first, first + count); count > 1 only for a run of
// coalesced TCP segments.
struct TunWrite {
  size_t first = 0;
  size_t count = 1;
};

// Splits packets into writes, in order. Clears out first; does not allocate
// once out has grown to the batch size.
void plan_tun_writes(std::span<const std::span<const uint8_t>> packets, std::vector<TunWrite>& out);

// The largest header build_super_header writes.
inline constexpr size_t kMaxSuperHeader = kVnetHdrSize + 60 + 60;

// For a run planned by plan_tun_writes (count > 1): writes the vnet header
// (TCPV4/TCPV6 GSO, NEEDS_CSUM) and the first segment's IP and TCP headers
// adjusted for the whole run (lengths, IPv4 checksum, PSH of the last
// segment, TCP checksum field = the pseudo-header sum) into out, and returns
// the IP+TCP header length H. The super-packet is out[0, kVnetHdrSize + H)
// followed by packet.subspan(H) of every packet in the run.
size_t build_super_header(std::span<const std::span<const uint8_t>> run, uint8_t* out);

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_TCP_COALESCE_H_
