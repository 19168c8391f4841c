// The ConfigTarget the UAPI server drives (`wg set` / `wg show`): the
// device's configuration plus what only the daemon owns, the UDP socket.
//
// listen_port: a different port opens a new socket first (-EADDRINUSE, or
// another -errno, if it cannot be bound: nothing changes) and swaps it in
// only once the device has accepted the rest of the request; port 0 picks a
// free one. fwmark is set on the socket the request ends with. Everything
// else goes to the device as is, so peers may be set by hand as on
// wireguard-go; the next bundle that is installed replaces the peer set
// with the bundle's (bundle_apply.h).
#ifndef ACLC_RUNTIME_MESHD_CONFIG_TARGET_H_
#define ACLC_RUNTIME_MESHD_CONFIG_TARGET_H_

#include <functional>
#include <memory>

#include "runtime/device/config.h"
#include "runtime/io/udp.h"

namespace aclc::meshd {

// The daemon's UDP socket and who must hear when it is replaced (the
// event loop re-registers the new fd).
struct UdpSlot {
  std::unique_ptr<runtime::io::UdpSocket> socket;
  runtime::io::UdpOptions options;  // what it was opened with (offload, buffers)
  std::function<void(int old_fd, int new_fd)> replaced;
};

class DaemonConfigTarget : public runtime::ConfigTarget {
 public:
  DaemonConfigTarget(runtime::ConfigTarget& device, UdpSlot& udp) : device_(device), udp_(udp) {}

  int apply(const runtime::DeviceConfig& config) override;
  // The device's status with the socket's real port and mark.
  runtime::DeviceStatus status() const override;

 private:
  runtime::ConfigTarget& device_;
  UdpSlot& udp_;
};

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_CONFIG_TARGET_H_
