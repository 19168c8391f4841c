// One peer of a Device: its identity and handshake, its sessions, timers,
// endpoint, staged packets and counters. Owned and driven by Device; the
// fields are public because Device is the only writer (one concept, no
// behaviour of its own beyond timer bookkeeping).
#ifndef ACLC_RUNTIME_DEVICE_PEER_H_
#define ACLC_RUNTIME_DEVICE_PEER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "runtime/device/config.h"
#include "runtime/wg/allowedips.h"
#include "runtime/wg/cookie.h"
#include "runtime/wg/keypair.h"
#include "runtime/wg/limits.h"
#include "runtime/wg/noise.h"
#include "runtime/wg/secret.h"
#include "runtime/wg/timers.h"

namespace aclc::runtime {

struct Peer {
  Peer(wg::PeerId id, const Key32& public_key, wg::PeerTimers::Jitter jitter);

  // Timer events that also drive the persistent keepalive, which the
  // device keeps itself because its interval changes at run time.
  void authenticated_traversal(wg::Instant now);
  std::optional<wg::Instant> next_deadline() const;

  const wg::PeerId id;
  const Key32 public_key;
  wg::Secret<32> preshared_key;            // all zero: none
  std::optional<wg::Handshake> handshake;  // none without a device key or for a low-order key
  wg::CookieGenerator cookie_generator;
  wg::KeypairSet keypairs;
  wg::PeerTimers timers;
  uint32_t handshake_index = 0;            // our pending initiation's index; 0: none

  std::optional<Endpoint> endpoint;
  uint16_t persistent_keepalive = 0;       // seconds; 0: off
  std::optional<wg::Instant> persistent_deadline;

  // Packets waiting for a session: each a buffer with headroom, ready to
  // be encrypted in place.
  std::deque<std::vector<uint8_t>> staged;

  uint64_t rx_bytes = 0;  // UDP payload of every authenticated message (as wg show)
  uint64_t tx_bytes = 0;
  int64_t last_handshake_sec = 0;
  int64_t last_handshake_nsec = 0;
  uint64_t handshakes_completed = 0;

  // Datagrams sealed for this peer in the current send batch.
  std::vector<std::span<const uint8_t>> batch;
};

}  // namespace aclc::runtime

#endif  // ACLC_RUNTIME_DEVICE_PEER_H_
