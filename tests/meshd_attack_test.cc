// Attacks on a node's WireGuard receive path, on the wire. The target runs
// wireguard-go (the reference behaviour, and the harness's own check) or
// meshd; its peer is wireguard-go; a UDP relay between them captures,
// holds and injects datagrams.
//
// - A transport message replayed is delivered once; forged copies (a
//   flipped byte in the counter, the ciphertext or the tag; a forged high
//   counter) are never delivered, and do not shift the replay window so
//   that the genuine message is still accepted afterwards.
// - A flood of handshake initiations with a valid mac1 (made from the
//   target's public key alone) gets cookie replies and no responses, while
//   the established tunnel keeps carrying traffic.
// - meshd with --test-time-scale rekeys before its keys expire and traffic
//   never stops.
#include <doctest/doctest.h>

#include <sodium.h>

#include <thread>

#include "tests/mesh/crafted.h"
#include "tests/mesh/mesh.h"
#include "tests/mesh/probe.h"
#include "tests/mesh/relay.h"
#include "tests/mesh/testing.h"

using namespace mesh;

namespace {

constexpr uint16_t kEchoPort = 7000;
constexpr uint16_t kFaceA = 41001, kFaceB = 41000;

// sender (alpha) -> target (beta) through a relay.
struct Setup {
  Mesh mesh{binaries()};
  Node& sender;
  Node& target;
  std::unique_ptr<Relay> relay;
  Setup(Impl sender_impl, Impl target_impl, int time_scale = 0)
      : sender(mesh.add({"alpha", sender_impl, "100.64.0.1", "owner@example.com", {}, time_scale})),
        target(mesh.add({"beta", target_impl, "100.64.0.2", "owner@example.com", {}, time_scale})) {
    relay = std::make_unique<Relay>(mesh.udp(), sender.listen_port(), target.listen_port(), kFaceA, kFaceB);
    mesh.advertise(target, kFaceA);
    mesh.advertise(sender, kFaceB);
    mesh.start();
  }
};

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Whether `pred` holds within `timeout`: for what must happen. What must
// not happen has no event to wait for; those checks sleep a while instead.
template <typename Pred>
bool within(Millis timeout, Pred pred) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    sleep_ms(10);
  }
  return true;
}

std::vector<uint8_t> flipped(std::vector<uint8_t> m, size_t offset) {
  m.at(offset) ^= 0x01;
  return m;
}

std::vector<uint8_t> with_counter(std::vector<uint8_t> m, uint64_t counter) {
  for (int i = 0; i < 8; ++i) m.at(8 + i) = static_cast<uint8_t>(counter >> (8 * i));
  return m;
}

uint64_t counter_of(const std::vector<uint8_t>& m) {
  uint64_t c = 0;
  for (int i = 0; i < 8; ++i) c |= uint64_t(m.at(8 + i)) << (8 * i);
  return c;
}

void replay_and_forgery(Impl target_impl) {
  require_host({"ip", "wg", "wireguard-go", "ping"});
  Setup s(Impl::kWireguardGo, target_impl);
  INFO("target " << impl_name(target_impl) << "\n" << s.mesh.logs());
  EchoServer server(s.target.ns(), {kEchoPort});
  REQUIRE(ping(s.sender.ns(), s.target.address(), 3, 0.2) >= 2);

  // Catch one datagram's transport message before the target sees it.
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", randombytes_random());
  std::string payload = std::string("exactly once ") + tag;
  s.relay->hold_next_transport(Direction::kAtoB, 32 + 48);  // more than a keepalive
  udp_send(s.sender.ns(), s.target.address(), kEchoPort, payload, 7100);
  std::optional<std::vector<uint8_t>> held = s.relay->wait_held(Millis(3000));
  REQUIRE(held.has_value());
  const std::vector<uint8_t>& genuine = *held;
  REQUIRE(genuine.size() >= 32 + 48);
  CHECK(genuine.size() % 16 == 0);  // 16-byte header + padded plaintext + 16-byte tag
  sleep_ms(200);
  CHECK(server.udp_seen(payload) == 0);  // really held

  // Forgeries: none is delivered. The forged high counter comes first: if
  // it moved the replay window, the genuine message would be refused below.
  uint64_t counter = counter_of(genuine);
  for (const std::vector<uint8_t>& forged :
       {with_counter(flipped(genuine, genuine.size() - 1), counter + 100000),  // bad tag, far-ahead counter
        flipped(genuine, 8),                                                    // counter (the nonce)
        flipped(genuine, 20),                                                   // ciphertext
        flipped(genuine, genuine.size() - 1),                                   // tag
        flipped(genuine, 4)}) {                                                 // receiver index
    s.relay->inject(Direction::kAtoB, forged);
  }
  sleep_ms(300);
  CHECK(server.udp_seen(payload) == 0);

  // The genuine message, late: delivered once. Then replayed: never again.
  s.relay->inject(Direction::kAtoB, genuine);
  CHECK(within(Millis(3000), [&] { return server.udp_seen(payload) >= 1; }));
  CHECK(server.udp_seen(payload) == 1);
  for (int i = 0; i < 3; ++i) s.relay->inject(Direction::kAtoB, genuine);
  // An older message of the same session, replayed.
  std::vector<std::vector<uint8_t>> earlier = s.relay->transport_log(Direction::kAtoB);
  REQUIRE(!earlier.empty());
  for (const auto& m : earlier) s.relay->inject(Direction::kAtoB, m);
  sleep_ms(300);
  CHECK(server.udp_seen(payload) == 1);

  // The session is intact.
  CHECK(udp_echo(s.sender.ns(), s.target.address(), kEchoPort, "still fine"));
  CHECK(ping(s.sender.ns(), s.target.address(), 3, 0.05) == 3);
  CHECK(s.target.alive());
}

void handshake_flood(Impl target_impl) {
  require_host({"ip", "wg", "wireguard-go", "ping"});
  Setup s(Impl::kWireguardGo, target_impl);
  INFO("target " << impl_name(target_impl) << "\n" << s.mesh.logs());
  REQUIRE(ping(s.sender.ns(), s.target.address(), 3, 0.2) >= 2);

  size_t sent = 0, cookies = 0, responses = 0;
  int answered = 0;
  constexpr int kPings = 20;
  // Well past what a responder answers with full handshakes (~7k/s here),
  // so it has to shed load with cookies.
  constexpr size_t kFloodRate = 50000;
  {
    HandshakeFlood flood(s.mesh.udp(), s.target.listen_port(), s.target.keys().public_key, kFloodRate);
    sleep_ms(500);  // let the target's handshake queue fill
    answered = ping(s.sender.ns(), s.target.address(), kPings, 0.1);
    flood.stop();
    sent = flood.sent();
    cookies = flood.cookie_replies();
    responses = flood.responses();
  }
  MESSAGE(impl_name(target_impl) << " under a handshake flood: " << sent << " initiations sent, " << cookies
                                 << " cookie replies, " << responses << " responses; tunnel: " << answered << "/"
                                 << kPings << " pings answered");
  CHECK(sent >= 5000);
  CHECK(cookies > 0);
  CHECK(responses == 0);  // nothing crafted completes a handshake
  CHECK(answered * 2 >= kPings);
  // After the flood the tunnel is fully back.
  CHECK(ping(s.sender.ns(), s.target.address(), 5, 0.05) == 5);
  CHECK(s.target.alive());
}

}  // namespace

TEST_CASE("attack: replayed and forged transport messages, wireguard-go target (harness baseline)") {
  replay_and_forgery(Impl::kWireguardGo);
}

TEST_CASE("attack: handshake flood, wireguard-go target (harness baseline)") { handshake_flood(Impl::kWireguardGo); }

#ifdef MESHD_BIN
TEST_CASE("attack: replayed and forged transport messages, meshd target") { replay_and_forgery(Impl::kMeshd); }

TEST_CASE("attack: handshake flood, meshd target") { handshake_flood(Impl::kMeshd); }

// REKEY_AFTER_TIME 120 s and REJECT_AFTER_TIME 180 s become 5 s and 7.5 s:
// without a rekey, traffic would stop after 7.5 s.
void rekey(Impl peer_impl) {
  require_host({"ip", "wg", "wireguard-go", "ping"});
  constexpr int kScale = 24;
  Setup s(Impl::kMeshd, peer_impl, kScale);
  INFO("meshd (x" << kScale << ") initiates to " << impl_name(peer_impl) << "\n" << s.mesh.logs());
  REQUIRE(ping(s.sender.ns(), s.target.address(), 2, 0.2) >= 1);
  int64_t first = s.target.show().peer(s.sender.public_key()).latest_handshake;
  constexpr int kPings = 60;  // 12 s
  int answered = ping(s.sender.ns(), s.target.address(), kPings, 0.2);
  int64_t last = s.target.show().peer(s.sender.public_key()).latest_handshake;
  size_t initiations = s.relay->forwarded(Direction::kAtoB, 1);
  size_t answers = s.relay->forwarded(Direction::kBtoA, 2);
  INFO(answered << "/" << kPings << " pings; " << initiations << " initiations, " << answers << " responses");
  CHECK(initiations >= 3);  // the first and at least two rekeys
  CHECK(answers >= 3);
  CHECK(answered >= kPings - 3);
  if (peer_impl == Impl::kWireguardGo) CHECK(last > first);  // wireguard-go's clock is unscaled
  CHECK(s.sender.alive());
  CHECK(s.target.alive());
}

TEST_CASE("attack: rekey on shortened timers, meshd -> wireguard-go") { rekey(Impl::kWireguardGo); }
TEST_CASE("attack: rekey on shortened timers, meshd -> meshd") { rekey(Impl::kMeshd); }
#endif
