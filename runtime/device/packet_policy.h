// The hook through which the device asks the node's packet filter about
// every plaintext IP packet that crosses the tunnel. The filter
// (runtime/filter) implements it; the device calls it after the cryptokey
// check on receive and before encryption on send. With no policy installed
// the daemon uses a policy that admits nothing inbound (fail closed).
#ifndef ACLC_RUNTIME_DEVICE_PACKET_POLICY_H_
#define ACLC_RUNTIME_DEVICE_PACKET_POLICY_H_

#include <cstdint>
#include <span>

#include "runtime/wg/limits.h"

namespace aclc::runtime {

class PacketPolicy {
 public:
  virtual ~PacketPolicy() = default;
  // A decrypted packet from a peer whose inner source passed the cryptokey
  // check. True: deliver it to the host (TUN); false: drop it.
  virtual bool admit_inbound(std::span<const uint8_t> ip_packet, wg::Instant now) = 0;
  // A packet from the host about to be encrypted to a peer. True: send it
  // (and remember the flow so that its replies pass inbound).
  virtual bool admit_outbound(std::span<const uint8_t> ip_packet, wg::Instant now) = 0;
};

}  // namespace aclc::runtime

#endif  // ACLC_RUNTIME_DEVICE_PACKET_POLICY_H_
