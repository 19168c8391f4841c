// Two in-process peers wired from the library's parts the way a receive
// path uses them (runtime/README.md): handshake, key confirmation, data both
// ways, cookies under load, rekey after REKEY_AFTER_TIME, and forged
// responses racing the genuine one. Time is a fake clock.
#include <doctest/doctest.h>

#include <deque>

#include "runtime/wg/allowedips.h"
#include "runtime/wg/cookie.h"
#include "runtime/wg/index_table.h"
#include "runtime/wg/keypair.h"
#include "runtime/wg/load_detector.h"
#include "runtime/wg/noise.h"
#include "runtime/wg/ratelimiter.h"
#include "runtime/wg/timers.h"
#include "tests/unit/wg_test_util.h"

namespace aclc::wg {
namespace {

using namespace std::chrono_literals;
using Datagram = std::vector<uint8_t>;

// One node with exactly one peer.
struct Node {
  LocalIdentity id;
  PublicKey peer_key{};
  std::optional<Handshake> hs;
  CookieChecker checker;
  CookieGenerator generator;
  KeypairSet keypairs;
  PeerTimers timers{[] { return Duration(0); }};
  IndexTable indices;
  RateLimiter limiter;
  bool force_load = false;
  std::vector<uint8_t> source = {192, 0, 2, 1};  // what the other side sees as our address
  std::deque<Datagram> outbox;
  std::vector<Datagram> delivered;  // decrypted payloads
  uint32_t handshake_index = 0;

  Node(const PublicKey& peer, const LocalIdentity& self)
      : id(self), peer_key(peer), checker(self.public_key), generator(peer) {
    hs = Handshake::create(id, peer_key, Key());
  }

  void initiate(Instant now, bool retry) {
    if (!timers.begin_initiation(now, retry)) return;
    if (handshake_index) indices.release(handshake_index);
    handshake_index = indices.allocate({1, IndexEntry::Kind::kHandshake});
    auto m = hs->create_initiation(handshake_index, tai64n_from_unix(1700000000 + now / 1s, 0), system_random);
    REQUIRE(m);
    auto b = encode(*m);
    generator.add_macs(b, now);
    outbox.emplace_back(b.begin(), b.end());
  }

  void send(const Datagram& payload, Instant now) {
    Keypair* kp = keypairs.current();
    if (kp == nullptr || kp->expired(now)) {
      initiate(now, false);
      return;  // (a real node queues the packet)
    }
    Datagram wire(32 + payload.size());
    auto n = kp->seal(payload, now, wire.data());
    REQUIRE(n);
    outbox.push_back(wire);
    timers.any_authenticated_packet_traversal(now);
    timers.any_authenticated_packet_sent(now);
    if (!payload.empty()) timers.data_sent(now);
    if (timers.should_rekey_on_send(kp, now)) initiate(now, false);
  }

  void install(const SessionKeys& keys, Instant now) {
    keypairs.install(std::make_unique<Keypair>(keys, now));
    timers.session_derived(now);
  }

  void receive(const Datagram& d, Instant now, const std::vector<uint8_t>& from) {
    auto type = classify(d);
    if (!type) return;
    if (*type == MessageType::kInitiation || *type == MessageType::kResponse) {
      if (!checker.check_mac1(d)) return;
      if (force_load) {
        if (!checker.check_mac2(d, from, now)) {
          auto reply = checker.make_reply(d, from, now, system_random);
          auto b = encode(*reply);
          outbox.emplace_back(b.begin(), b.end());
          return;
        }
        if (!limiter.allow(from, now)) return;
      }
    }
    switch (*type) {
      case MessageType::kInitiation: {
        auto opened = open_initiation(id, *decode_initiation(d));
        if (!opened || opened->remote_static != peer_key || !hs->accept_initiation(*opened, now)) return;
        uint32_t index = indices.allocate({1, IndexEntry::Kind::kHandshake});
        auto r = hs->create_response(index, system_random);
        REQUIRE(r);
        auto b = encode(*r);
        generator.add_macs(b, now);
        outbox.emplace_back(b.begin(), b.end());
        install(*hs->derive_session(), now);
        indices.rebind(index, {1, IndexEntry::Kind::kKeypair});
        break;
      }
      case MessageType::kResponse: {
        auto r = decode_response(d);
        if (!hs->consume_response(*r)) return;
        install(*hs->derive_session(), now);
        indices.rebind(r->receiver, {1, IndexEntry::Kind::kKeypair});
        handshake_index = 0;
        timers.handshake_complete(now);
        send({}, now);  // keepalive confirms the session to the responder
        break;
      }
      case MessageType::kCookieReply:
        generator.consume_reply(*decode_cookie_reply(d), now);
        break;
      case MessageType::kTransport: {
        auto h = decode_transport_header(d);
        Keypair* kp = keypairs.find(h->receiver);
        if (kp == nullptr) return;
        Datagram out(d.size());
        auto n = kp->open(d, now, out.data());
        if (!n) return;
        if (keypairs.confirm(kp)) timers.handshake_complete(now);
        timers.any_authenticated_packet_received(now);
        timers.any_authenticated_packet_traversal(now);
        if (*n > 0) {
          out.resize(*n);
          delivered.push_back(out);
          timers.data_received(now);
        }
        break;
      }
    }
  }

  void tick(Instant now) {
    for (TimerAction a : timers.advance(now)) {
      if (a == TimerAction::kRetransmitInitiation) initiate(now, true);
      if (a == TimerAction::kSendInitiation) initiate(now, false);
      if (a == TimerAction::kSendKeepalive) send({}, now);
      if (a == TimerAction::kZeroKeyMaterial) keypairs.clear(), hs->clear();
    }
  }
};

struct Net {
  LocalIdentity ia = LocalIdentity::from_private(generate_private_key(system_random));
  LocalIdentity ib = LocalIdentity::from_private(generate_private_key(system_random));
  Node a{ib.public_key, ia};
  Node b{ia.public_key, ib};
  Instant now = 1000s;
  Net() { b.source = {192, 0, 2, 2}; }
  // Delivers everything in flight, repeatedly, then runs timers.
  void settle() {
    for (int round = 0; round < 10 && (!a.outbox.empty() || !b.outbox.empty()); ++round) {
      auto from_a = std::move(a.outbox);
      auto from_b = std::move(b.outbox);
      a.outbox.clear(), b.outbox.clear();
      for (auto& d : from_a) b.receive(d, now, a.source);
      for (auto& d : from_b) a.receive(d, now, b.source);
    }
  }
  void run_until(Instant end, Duration step = 100ms) {
    while (now < end) {
      now += step;
      a.tick(now), b.tick(now);
      settle();
    }
  }
};

Datagram payload(uint8_t v) { return Datagram(64, v); }

TEST_CASE("wg session: handshake, key confirmation and data both ways") {
  Net n;
  n.a.send(payload(1), n.now);  // no session: starts a handshake
  REQUIRE(n.a.outbox.size() == 1);
  // Deliver the initiation only: the responder's session waits in next and
  // it cannot send on it before key confirmation.
  n.b.receive(n.a.outbox.front(), n.now, n.a.source);
  n.a.outbox.clear();
  CHECK(n.b.keypairs.current() == nullptr);
  CHECK(n.b.keypairs.next() != nullptr);
  n.settle();  // response, then the initiator's keepalive confirms
  REQUIRE(n.a.keypairs.current() != nullptr);
  REQUIRE(n.b.keypairs.current() != nullptr);
  CHECK(n.b.keypairs.next() == nullptr);

  n.a.send(payload(2), n.now);
  n.b.send(payload(3), n.now);
  n.settle();
  REQUIRE(n.b.delivered.size() == 1);
  CHECK(n.b.delivered[0] == payload(2));
  REQUIRE(n.a.delivered.size() == 1);
  CHECK(n.a.delivered[0] == payload(3));

  // A replay of b's data is dropped.
  Datagram wire(32 + 64);
  REQUIRE(n.b.keypairs.current()->seal(payload(4), n.now, wire.data()));
  n.a.receive(wire, n.now, n.b.source);
  n.a.receive(wire, n.now, n.b.source);
  CHECK(n.a.delivered.size() == 2);
}

TEST_CASE("wg session: under load the initiator recovers with mac2 on its retransmission") {
  Net n;
  n.b.force_load = true;
  n.a.send(payload(1), n.now);
  n.settle();
  CHECK(n.a.keypairs.current() == nullptr);  // got a cookie reply, not a response
  n.run_until(n.now + 5s + 200ms);           // one retransmission, now with mac2
  CHECK(n.a.keypairs.current() != nullptr);
  CHECK(n.b.keypairs.current() != nullptr);
  CHECK(n.a.timers.handshake_attempts() == 0);
}

TEST_CASE("wg session: forged responses racing the real one do not stop the handshake") {
  Net n;
  n.a.send(payload(1), n.now);
  n.settle();
  // Second handshake: inject garbage type-2 messages before the genuine one.
  n.run_until(n.now + 6s);
  n.a.initiate(n.now, false);
  auto init = n.a.outbox.front();
  n.a.outbox.clear();
  n.b.receive(init, n.now, n.a.source);
  Datagram genuine = n.b.outbox.front();
  n.b.outbox.clear();
  auto* before = n.a.keypairs.current();
  for (int i = 0; i < 50; ++i) {
    Datagram forged = genuine;
    forged[12 + i % 48] ^= uint8_t(1 + i);
    CookieGenerator(n.ia.public_key).add_macs(forged, n.now);  // valid mac1: anyone can make it
    n.a.receive(forged, n.now, n.b.source);
  }
  CHECK(n.a.keypairs.current() == before);
  n.a.receive(genuine, n.now, n.b.source);
  CHECK(n.a.keypairs.current() != before);
}

TEST_CASE("wg session: the initiator rekeys after REKEY_AFTER_TIME; old packets still decrypt") {
  Net n;
  n.a.send(payload(1), n.now);
  n.settle();
  Keypair* first = n.a.keypairs.current();
  REQUIRE(first != nullptr);
  Instant start = n.now;
  // Traffic every 2 s both ways for 130 s.
  while (n.now < start + 130s) {
    n.run_until(n.now + 2s, 1s);
    n.a.send(payload(5), n.now);
    n.b.send(payload(6), n.now);
    n.settle();
  }
  CHECK(n.a.keypairs.current() != first);
  CHECK(n.a.keypairs.current()->created() >= start + 120s);
  CHECK(n.b.delivered.size() >= 60);
  CHECK(n.a.delivered.size() >= 60);
}

TEST_CASE("wg session: with no traffic all key material is wiped after 540 s") {
  Net n;
  n.a.send(payload(1), n.now);
  n.settle();
  REQUIRE(n.a.keypairs.current() != nullptr);
  n.run_until(n.now + 541s, 1s);
  CHECK(n.a.keypairs.current() == nullptr);
  CHECK(n.b.keypairs.current() == nullptr);
}

}  // namespace
}  // namespace aclc::wg
