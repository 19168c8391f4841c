// The virtio_net_hdr a TUN with IFF_VNET_HDR puts in front of every packet
// it reads and expects in front of every packet written (include/uapi/linux/
// virtio_net.h). It carries segmentation (GSO) and checksum offload state.
// TUN uses little-endian fields on little-endian hosts and in virtio 1.0 mode;
// encode/decode are explicit about it.
#ifndef ACLC_RUNTIME_IO_VNET_HDR_H_
#define ACLC_RUNTIME_IO_VNET_HDR_H_

#include <cstddef>
#include <cstdint>

namespace aclc::runtime::io {

inline constexpr size_t kVnetHdrSize = 10;

struct VnetHdr {
  // flags
  static constexpr uint8_t kNeedsCsum = 1;  // complete the checksum at csum_start + csum_offset
  static constexpr uint8_t kDataValid = 2;
  // gso_type
  static constexpr uint8_t kGsoNone = 0;
  static constexpr uint8_t kGsoTcpV4 = 1;
  static constexpr uint8_t kGsoTcpV6 = 4;
  static constexpr uint8_t kGsoUdpL4 = 5;  // USO, both families (kernel >= 6.2)
  static constexpr uint8_t kGsoEcn = 0x80;

  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t hdr_len = 0;      // bytes of L3 + L4 headers
  uint16_t gso_size = 0;     // payload bytes per segment
  uint16_t csum_start = 0;   // L4 header offset
  uint16_t csum_offset = 0;  // checksum field, from csum_start

  static VnetHdr decode(const uint8_t* p) {
    VnetHdr h;
    h.flags = p[0];
    h.gso_type = p[1];
    h.hdr_len = uint16_t(p[2] | p[3] << 8);
    h.gso_size = uint16_t(p[4] | p[5] << 8);
    h.csum_start = uint16_t(p[6] | p[7] << 8);
    h.csum_offset = uint16_t(p[8] | p[9] << 8);
    return h;
  }
  void encode(uint8_t* p) const {
    const uint16_t v[4] = {hdr_len, gso_size, csum_start, csum_offset};
    p[0] = flags;
    p[1] = gso_type;
    for (int i = 0; i < 4; i++) {
      p[2 + 2 * i] = uint8_t(v[i]);
      p[3 + 2 * i] = uint8_t(v[i] >> 8);
    }
  }
};

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_VNET_HDR_H_
