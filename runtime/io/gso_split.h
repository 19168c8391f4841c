// Segmentation of what a TUN with TSO/USO offload hands us: one super-packet
// with a virtio_net_hdr becomes the MTU-sized IP packets the kernel would
// have put on a wire (the kernel's tcp_gso_segment / __udp_gso_segment):
//
//   TCP: sequence numbers advance by gso_size; FIN and PSH only on the last
//        segment, CWR only on the first.
//   IPv4: total length per segment, IDs incrementing from the first,
//        header checksum recomputed. IPv6: payload length per segment.
//   UDP (USO): the UDP length per segment.
//   Every L4 checksum is computed in full (the kernel leaves a partial one).
//
// A non-GSO packet flagged NEEDS_CSUM gets its checksum completed.
#ifndef ACLC_RUNTIME_IO_GSO_SPLIT_H_
#define ACLC_RUNTIME_IO_GSO_SPLIT_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "runtime/io/buffers.h"
#include "runtime/io/vnet_hdr.h"

namespace aclc::runtime::io {

enum class SplitStatus {
  kDone,       // every segment is in out
  kBatchFull,  // out filled up; call again with the same next_segment
  kMalformed,  // inconsistent header or packet; drop it (nothing more appended)
  kTooLarge,   // a segment exceeds out.max_packet(); drop it
};

// Appends to out the segments of packet (the bytes after the vnet header),
// starting at segment next_segment, which it advances. Start with 0.
SplitStatus split_super_packet(const VnetHdr& hdr, std::span<const uint8_t> packet,
                               PacketBatch& out, size_t& next_segment);

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_GSO_SPLIT_H_
