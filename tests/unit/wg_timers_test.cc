// The timer state machine driven by a fake clock: handshake retries with
// jitter and giving up, passive keepalive, new handshake after unanswered
// data, zeroing keys after 3 x REJECT_AFTER_TIME, persistent keepalive,
// initiation rate limit, and the send/receive rekey rules.
#include <doctest/doctest.h>

#include "runtime/wg/timers.h"

namespace aclc::wg {
namespace {

using namespace std::chrono_literals;

PeerTimers fixed(Duration jitter = 0ms, Duration persistent = 0s) {
  return PeerTimers([jitter] { return jitter; }, persistent);
}

TEST_CASE("wg timers: nothing fires on an idle peer") {
  auto t = fixed();
  CHECK(t.advance(1000s).empty());
  CHECK_FALSE(t.next_deadline());
}

TEST_CASE("wg timers: retransmit after REKEY_TIMEOUT plus jitter, give up after 90 s") {
  auto t = fixed(100ms);
  Instant now = 0s;
  REQUIRE(t.begin_initiation(now, false));
  CHECK(t.next_deadline() == now + 5s + 100ms);
  CHECK(t.advance(now + 5s + 99ms).empty());
  int retries = 0;
  bool gave_up = false;
  Instant gave_up_at{};
  // Drive the owner's loop: retransmit whenever asked.
  while (!gave_up && now < 200s) {
    now = *t.next_deadline();
    for (TimerAction a : t.advance(now)) {
      if (a == TimerAction::kRetransmitInitiation) {
        ++retries;
        CHECK(t.begin_initiation(now, true));
      } else if (a == TimerAction::kGiveUp) {
        gave_up = true;
        gave_up_at = now;
      }
    }
  }
  CHECK(gave_up);
  CHECK(retries == kMaxHandshakeAttempts + 1);  // attempts 0..18 retransmit, then give up
  CHECK(t.handshake_attempts() == kMaxHandshakeAttempts + 1);
  // 20 initiations in all, 5.1 s apart.
  CHECK(gave_up_at == (retries + 1) * (5s + 100ms));
  // Giving up arms the wipe of all keys.
  CHECK(t.next_deadline() == gave_up_at + 540s);
  CHECK(t.advance(gave_up_at + 540s) == std::vector<TimerAction>{TimerAction::kZeroKeyMaterial});
}

TEST_CASE("wg timers: a completed handshake stops retries and resets attempts") {
  auto t = fixed();
  REQUIRE(t.begin_initiation(0s, false));
  auto a = t.advance(5s);
  REQUIRE(a == std::vector<TimerAction>{TimerAction::kRetransmitInitiation});
  REQUIRE(t.begin_initiation(5s, true));
  CHECK(t.handshake_attempts() == 1);
  t.handshake_complete(6s);
  t.session_derived(6s);
  CHECK(t.handshake_attempts() == 0);
  CHECK(t.last_handshake() == Instant(6s));
  CHECK(t.advance(20s).empty());
  CHECK(t.next_deadline() == Instant(6s + 540s));  // only the key wipe remains
}

TEST_CASE("wg timers: jitter comes from the injected source and stays below 334 ms") {
  for (int i = 0; i < 200; ++i) {
    Duration j = PeerTimers::random_jitter();
    CHECK(j >= 0ms);
    CHECK(j < kRekeyTimeoutJitterMax);
  }
  int calls = 0;
  PeerTimers t([&calls] { return Duration(std::chrono::milliseconds(++calls * 10)); });
  REQUIRE(t.begin_initiation(0s, false));
  CHECK(t.next_deadline() == Instant(5s + 10ms));
}

TEST_CASE("wg timers: at most one initiation per REKEY_TIMEOUT") {
  auto t = fixed();
  CHECK(t.begin_initiation(0s, false));
  CHECK_FALSE(t.begin_initiation(4999ms, false));
  CHECK_FALSE(t.begin_initiation(4999ms, true));
  CHECK(t.begin_initiation(5s, false));
}

TEST_CASE("wg timers: passive keepalive 10 s after data received with nothing sent") {
  auto t = fixed();
  t.data_received(0s);
  t.data_received(1s);  // keepalive pending: one more will be needed
  CHECK(t.advance(9999ms).empty());
  CHECK(t.advance(10s) == std::vector<TimerAction>{TimerAction::kSendKeepalive});
  // The "another keepalive" flag re-armed it.
  CHECK(t.advance(20s) == std::vector<TimerAction>{TimerAction::kSendKeepalive});
  CHECK(t.advance(40s).empty());

  // Sending anything authenticated cancels it.
  t.data_received(50s);
  t.any_authenticated_packet_sent(55s);
  CHECK(t.advance(70s).empty());
}

TEST_CASE("wg timers: new handshake 15 s after data sent with nothing received") {
  auto t = fixed(200ms);
  t.data_sent(0s);
  t.data_sent(3s);  // does not push the deadline
  CHECK(t.advance(15s + 199ms).empty());
  CHECK(t.advance(15s + 200ms) == std::vector<TimerAction>{TimerAction::kSendInitiation});

  // A reply in time cancels it.
  t.data_sent(100s);
  t.any_authenticated_packet_received(110s);
  CHECK(t.advance(200s).empty());
}

TEST_CASE("wg timers: key material is wiped 3 x REJECT_AFTER_TIME after the last session") {
  auto t = fixed();
  t.session_derived(0s);
  t.session_derived(100s);  // a newer session postpones the wipe
  CHECK(t.advance(639s).empty());
  CHECK(t.advance(640s) == std::vector<TimerAction>{TimerAction::kZeroKeyMaterial});
}

TEST_CASE("wg timers: persistent keepalive after an idle interval") {
  auto t = fixed(0ms, 25s);
  t.any_authenticated_packet_traversal(0s);
  t.any_authenticated_packet_traversal(10s);
  CHECK(t.advance(34s).empty());
  CHECK(t.advance(35s) == std::vector<TimerAction>{TimerAction::kSendKeepalive});
  // Disabled interval: traversal arms nothing.
  auto off = fixed();
  off.any_authenticated_packet_traversal(0s);
  CHECK_FALSE(off.next_deadline());
}

TEST_CASE("wg timers: several due timers fire earliest first") {
  auto t = fixed(0ms, 25s);
  t.data_received(0s);                      // keepalive @10
  t.data_sent(1s);                          // new handshake @16
  t.any_authenticated_packet_traversal(2s); // persistent @27
  auto a = t.advance(30s);
  CHECK(a == std::vector<TimerAction>{TimerAction::kSendKeepalive, TimerAction::kSendInitiation,
                                      TimerAction::kSendKeepalive});
}

TEST_CASE("wg timers: stop disarms everything") {
  auto t = fixed();
  t.data_received(0s);
  t.session_derived(0s);
  REQUIRE(t.begin_initiation(0s, false));
  t.stop();
  CHECK_FALSE(t.next_deadline());
  CHECK(t.advance(10000s).empty());
}

TEST_CASE("wg timers: rekey on send and once on receive") {
  SessionKeys k;
  k.initiator = true;
  Keypair mine(k, 0s);
  SessionKeys kr;
  Keypair theirs(kr, 0s);
  auto t = fixed();
  CHECK_FALSE(t.should_rekey_on_send(nullptr, 0s));
  CHECK_FALSE(t.should_rekey_on_send(&mine, 119s));
  CHECK(t.should_rekey_on_send(&mine, 120s));
  CHECK_FALSE(t.should_rekey_on_send(&theirs, 170s));

  CHECK_FALSE(t.should_rekey_on_receive(&mine, 164s));
  CHECK(t.should_rekey_on_receive(&mine, 165s));   // 180 - 10 - 5
  CHECK_FALSE(t.should_rekey_on_receive(&mine, 166s));  // only once
  t.handshake_complete(170s);
  CHECK(t.should_rekey_on_receive(&mine, 171s));   // re-armed by a new handshake
  CHECK_FALSE(t.should_rekey_on_receive(&theirs, 175s));
}

}  // namespace
}  // namespace aclc::wg
