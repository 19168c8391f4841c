#include "runtime/wg/timers.h"

#include <sodium.h>

namespace aclc::wg {

Duration PeerTimers::random_jitter() {
  auto max_ms = uint32_t(std::chrono::duration_cast<std::chrono::milliseconds>(kRekeyTimeoutJitterMax).count());
  return std::chrono::milliseconds(randombytes_uniform(max_ms));
}

PeerTimers::PeerTimers(Jitter jitter, Duration persistent_keepalive)
    : jitter_(std::move(jitter)), persistent_keepalive_(persistent_keepalive) {}

void PeerTimers::data_sent(Instant now) {
  if (!deadline_[kNewHandshake]) deadline_[kNewHandshake] = now + kKeepaliveTimeout + kRekeyTimeout + jitter_();
}

void PeerTimers::data_received(Instant now) {
  if (!deadline_[kKeepalive]) deadline_[kKeepalive] = now + kKeepaliveTimeout;
  else need_another_keepalive_ = true;
}

void PeerTimers::any_authenticated_packet_sent(Instant) { deadline_[kKeepalive].reset(); }

void PeerTimers::any_authenticated_packet_received(Instant) { deadline_[kNewHandshake].reset(); }

void PeerTimers::any_authenticated_packet_traversal(Instant now) {
  if (persistent_keepalive_ > Duration(0)) deadline_[kPersistent] = now + persistent_keepalive_;
}

void PeerTimers::handshake_initiated(Instant now) {
  deadline_[kRetransmit] = now + kRekeyTimeout + jitter_();
}

void PeerTimers::handshake_complete(Instant now) {
  deadline_[kRetransmit].reset();
  attempts_ = 0;
  sent_last_minute_handshake_ = false;
  last_handshake_ = now;
}

void PeerTimers::session_derived(Instant now) { deadline_[kZeroKeys] = now + 3 * kRejectAfterTime; }

bool PeerTimers::begin_initiation(Instant now, bool is_retry) {
  if (!is_retry) attempts_ = 0;
  if (last_initiation_sent_ && now - *last_initiation_sent_ < kRekeyTimeout) return false;
  last_initiation_sent_ = now;
  any_authenticated_packet_traversal(now);
  any_authenticated_packet_sent(now);
  handshake_initiated(now);
  return true;
}

bool PeerTimers::should_rekey_on_send(const Keypair* current, Instant now) const {
  return current != nullptr && current->needs_rekey(now);
}

bool PeerTimers::should_rekey_on_receive(const Keypair* current, Instant now) {
  if (sent_last_minute_handshake_ || current == nullptr || !current->initiator()) return false;
  if (now - current->created() < kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout) return false;
  sent_last_minute_handshake_ = true;
  return true;
}

void PeerTimers::fire(Slot slot, Instant at, std::vector<TimerAction>& out) {
  switch (slot) {
    case kRetransmit:
      if (attempts_ > kMaxHandshakeAttempts) {
        out.push_back(TimerAction::kGiveUp);
        deadline_[kKeepalive].reset();
        if (!deadline_[kZeroKeys]) deadline_[kZeroKeys] = at + 3 * kRejectAfterTime;
      } else {
        ++attempts_;
        out.push_back(TimerAction::kRetransmitInitiation);
      }
      break;
    case kKeepalive:
      out.push_back(TimerAction::kSendKeepalive);
      if (need_another_keepalive_) {
        need_another_keepalive_ = false;
        deadline_[kKeepalive] = at + kKeepaliveTimeout;
      }
      break;
    case kNewHandshake:
      out.push_back(TimerAction::kSendInitiation);
      break;
    case kZeroKeys:
      out.push_back(TimerAction::kZeroKeyMaterial);
      break;
    case kPersistent:
      if (persistent_keepalive_ > Duration(0)) out.push_back(TimerAction::kSendKeepalive);
      break;
    case kSlots:
      break;
  }
}

std::vector<TimerAction> PeerTimers::advance(Instant now) {
  std::vector<TimerAction> out;
  for (;;) {
    int due = -1;
    for (int s = 0; s < kSlots; ++s)
      if (deadline_[s] && *deadline_[s] <= now && (due < 0 || *deadline_[s] < *deadline_[due])) due = s;
    if (due < 0) break;
    Instant at = *deadline_[due];
    deadline_[due].reset();
    fire(Slot(due), at, out);
  }
  return out;
}

std::optional<Instant> PeerTimers::next_deadline() const {
  std::optional<Instant> best;
  for (const auto& d : deadline_)
    if (d && (!best || *d < *best)) best = d;
  return best;
}

void PeerTimers::stop() {
  for (auto& d : deadline_) d.reset();
  need_another_keepalive_ = false;
}

}  // namespace aclc::wg
