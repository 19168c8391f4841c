// The device's output, written straight to the daemon's sockets: datagrams
// to the UDP socket (sendmmsg / GSO runs, io/udp.h) and decrypted packets
// to the TUN (coalesced writes, io/tun.h). The device hands over one batch
// per peer per call, so each call is one batched send.
#ifndef ACLC_RUNTIME_MESHD_IO_OUTPUT_H_
#define ACLC_RUNTIME_MESHD_IO_OUTPUT_H_

#include <vector>

#include "runtime/device/device.h"
#include "runtime/io/datagram.h"
#include "runtime/io/tun.h"
#include "runtime/meshd/config_target.h"

namespace aclc::meshd {

class IoOutput : public runtime::DeviceOutput {
 public:
  IoOutput(UdpSlot& udp, runtime::io::Tun& tun) : udp_(udp), tun_(tun) {}

  void send_datagrams(const runtime::Endpoint& to,
                      std::span<const std::span<const uint8_t>> datagrams) override;
  void deliver_packets(std::span<const std::span<const uint8_t>> packets) override;

  uint64_t tun_write_errors() const { return tun_write_errors_; }

 private:
  UdpSlot& udp_;
  runtime::io::Tun& tun_;
  std::vector<runtime::io::OutDatagram> out_;  // reused: no allocation once warm
  uint64_t tun_write_errors_ = 0;
};

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_IO_OUTPUT_H_
