#include "runtime/device/peer.h"

#include <utility>

namespace aclc::runtime {

Peer::Peer(wg::PeerId id_, const Key32& public_key_, wg::PeerTimers::Jitter jitter)
    : id(id_), public_key(public_key_), cookie_generator(public_key_), timers(std::move(jitter)) {
  batch.reserve(64);
}

void Peer::authenticated_traversal(wg::Instant now) {
  timers.any_authenticated_packet_traversal(now);
  if (persistent_keepalive > 0) persistent_deadline = now + std::chrono::seconds(persistent_keepalive);
}

std::optional<wg::Instant> Peer::next_deadline() const {
  std::optional<wg::Instant> t = timers.next_deadline();
  if (persistent_deadline && (!t || *persistent_deadline < *t)) t = persistent_deadline;
  return t;
}

}  // namespace aclc::runtime
