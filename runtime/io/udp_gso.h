// UDP segmentation offload, as pure functions (the kernel's rules in
// net/ipv4/udp_offload.c and udp_send_skb):
//
// Send (UDP_SEGMENT): consecutive datagrams to the same endpoint with the
// same size go out as one message whose payload the kernel cuts every
// segment_size bytes; the last of a run may be shorter, and it ends the run.
// At most kMaxGsoSegments per run and the payload must fit one IP packet.
//
// Receive (UDP_GRO): a buffer with cmsg gso_size holds datagrams of
// gso_size bytes each, the last one possibly shorter.
#ifndef ACLC_RUNTIME_IO_UDP_GSO_H_
#define ACLC_RUNTIME_IO_UDP_GSO_H_

#include <cstddef>
#include <span>
#include <vector>

#include "runtime/io/datagram.h"

namespace aclc::runtime::io {

// UDP_MAX_SEGMENTS on kernels before 6.9 (later ones allow 128).
inline constexpr size_t kMaxGsoSegments = 64;
// UDP payload limits: 65535 - IPv4 header - UDP header; 65535 - UDP header.
inline constexpr size_t kMaxUdpPayloadV4 = 65535 - 20 - 8;
inline constexpr size_t kMaxUdpPayloadV6 = 65535 - 8;

// One sendmmsg message: datagrams [first, first + count), cut every
// segment_size bytes (count == 1: a plain datagram, no UDP_SEGMENT).
struct GsoRun {
  size_t first = 0;
  size_t count = 1;
  size_t segment_size = 0;
};

// Groups datagrams into runs, in order. Clears out first. max_segments 1
// disables grouping (the fallback when the kernel refuses GSO).
void plan_gso_runs(std::span<const OutDatagram> datagrams, std::vector<GsoRun>& out,
                   size_t max_segments = kMaxGsoSegments);

// The number of datagrams in a GRO buffer of total bytes cut every
// gso_size bytes (gso_size 0: one datagram).
inline size_t gro_segment_count(size_t total, size_t gso_size) {
  if (gso_size == 0 || total <= gso_size) return 1;
  return (total + gso_size - 1) / gso_size;
}

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_UDP_GSO_H_
