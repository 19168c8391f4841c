// A peer's protocol timers as a pure state machine (whitepaper §6; kernel
// timers.c, wireguard-go timers.go): the owner reports events with the
// current Instant, calls advance(now) and performs the returned actions. No
// threads and no clock of its own, so tests drive it with a fake clock.
//
// Timers: retransmit-handshake (REKEY_TIMEOUT + jitter, up to
// REKEY_ATTEMPT_TIME / REKEY_TIMEOUT retries), send-keepalive (KEEPALIVE
// after data received with nothing sent), new-handshake (KEEPALIVE +
// REKEY_TIMEOUT + jitter after data sent with nothing received),
// zero-key-material (3 x REJECT_AFTER_TIME after the last session was
// derived) and the optional persistent keepalive.
#ifndef ACLC_RUNTIME_WG_TIMERS_H_
#define ACLC_RUNTIME_WG_TIMERS_H_

#include <functional>
#include <optional>
#include <vector>

#include "runtime/wg/keypair.h"
#include "runtime/wg/limits.h"

namespace aclc::wg {

enum class TimerAction {
  kSendInitiation,        // new handshake because data went unanswered
  kRetransmitInitiation,  // the previous initiation got no response
  kGiveUp,                // too many attempts: drop queued packets
  kSendKeepalive,
  kZeroKeyMaterial,       // wipe every keypair and the handshake
};

class PeerTimers {
 public:
  // Returns a jitter in [0, kRekeyTimeoutJitterMax).
  using Jitter = std::function<Duration()>;
  static Duration random_jitter();

  explicit PeerTimers(Jitter jitter = random_jitter, Duration persistent_keepalive = Duration(0));

  // Event hooks, named as in the kernel and wireguard-go.
  void data_sent(Instant now);
  void data_received(Instant now);
  void any_authenticated_packet_sent(Instant now);
  void any_authenticated_packet_received(Instant now);
  void any_authenticated_packet_traversal(Instant now);
  void handshake_initiated(Instant now);
  void handshake_complete(Instant now);
  void session_derived(Instant now);

  // Call before sending an initiation. False if one was sent less than
  // REKEY_TIMEOUT ago (then send nothing); otherwise records the send and
  // raises the traversal, sent and initiated events. A non-retry resets the
  // attempt count.
  bool begin_initiation(Instant now, bool is_retry);

  // Send-side rekey: current was initiated here and is old or worn out.
  bool should_rekey_on_send(const Keypair* current, Instant now) const;
  // Receive-side rekey, at most once per handshake: current was initiated
  // here and is within KEEPALIVE + REKEY_TIMEOUT of REJECT_AFTER_TIME.
  bool should_rekey_on_receive(const Keypair* current, Instant now);

  // Fires every timer due at or before now, earliest first.
  std::vector<TimerAction> advance(Instant now);
  // The earliest armed deadline, if any.
  std::optional<Instant> next_deadline() const;

  int handshake_attempts() const { return attempts_; }
  std::optional<Instant> last_handshake() const { return last_handshake_; }
  // Disarms every timer (peer removed or interface down).
  void stop();

 private:
  enum Slot { kRetransmit, kKeepalive, kNewHandshake, kZeroKeys, kPersistent, kSlots };
  void fire(Slot slot, Instant at, std::vector<TimerAction>& out);

  Jitter jitter_;
  Duration persistent_keepalive_;
  std::optional<Instant> deadline_[kSlots];
  int attempts_ = 0;
  bool need_another_keepalive_ = false;
  bool sent_last_minute_handshake_ = false;
  std::optional<Instant> last_initiation_sent_;
  std::optional<Instant> last_handshake_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_TIMERS_H_
