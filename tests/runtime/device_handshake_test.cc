// Device handshakes over a fake network: from either side and both at
// once, PSK mismatch, cookies under load, a flood of initiations against
// an established session, rekey after 120 s and key wipe after 540 s.
#include <doctest/doctest.h>

#include "runtime/wg/cookie.h"
#include "tests/runtime/device_test_net.h"

namespace aclc::runtime {
namespace {

using namespace testnet;

TEST_CASE("device: a handshake from either side, then data both ways") {
  for (int initiator = 0; initiator < 2; ++initiator) {
    CAPTURE(initiator);
    Net net;
    Node& a = net.add();
    Node& b = net.add();
    Net::pair(a, b);
    Node& first = initiator == 0 ? a : b;
    Node& second = initiator == 0 ? b : a;

    first.device->send_packet(first.packet_to(second, 84, 1), net.now);
    CHECK(first.runtime_of(second).staged == 1);
    net.pump();
    REQUIRE(second.delivered.size() == 1);  // the staged packet left after the handshake
    CHECK(second.delivered[0] == first.packet_to(second, 84, 1));
    CHECK(first.runtime_of(second).staged == 0);
    CHECK(first.runtime_of(second).handshakes_completed == 1);
    CHECK(second.runtime_of(first).handshakes_completed == 1);  // confirmed by the data

    second.device->send_packet(second.packet_to(first, 200, 2), net.now);
    net.pump();
    REQUIRE(first.delivered.size() == 1);
    CHECK(first.delivered[0] == second.packet_to(first, 200, 2));
    CHECK(net.log.size() == 4);  // initiation, response, data, data: no extra keepalive

    DeviceStatus s;
    CHECK(first.peer_status(second, s)->last_handshake_sec == 1700000000 + 1000);
  }
}

TEST_CASE("device: byte counters count every authenticated datagram as wg show does") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b, 84), net.now);  // an 84-byte ping: 96 padded, 128 on the wire
  net.pump();
  DeviceStatus sa, sb;
  CHECK(a.peer_status(b, sa)->tx_bytes == 148 + 128);
  CHECK(a.peer_status(b, sa)->rx_bytes == 92);
  CHECK(b.peer_status(a, sb)->rx_bytes == 148 + 128);
  CHECK(b.peer_status(a, sb)->tx_bytes == 92);
}

TEST_CASE("device: both sides initiating at once converge within one REKEY_TIMEOUT") {
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    Net net;
    net.now += std::chrono::seconds(round * 17);
    Node& a = net.add();
    Node& b = net.add();
    for (int i = 0; i < round; ++i) net.add();  // other seeds for a and b's successors
    Net::pair(a, b);
    a.device->send_packet(a.packet_to(b, 100, 1), net.now);
    b.device->send_packet(b.packet_to(a, 100, 2), net.now);
    REQUIRE(net.in_flight.size() == 2);  // two initiations cross
    wg::Instant start = net.now;
    while (net.now < start + wg::kRekeyTimeout + wg::kRekeyTimeoutJitterMax + 10ms &&
           (a.delivered.empty() || b.delivered.empty())) {
      net.now += 1ms;
      net.tick();
      net.pump();
    }
    CHECK(a.delivered.size() == 1);
    CHECK(b.delivered.size() == 1);
    CHECK(a.runtime_of(b).has_session);
    CHECK(b.runtime_of(a).has_session);
  }
}

TEST_CASE("device: a preshared-key mismatch never yields a session") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  wg::Secret<32> psk_a, psk_b;
  psk_a.bytes.fill(1);
  psk_b.bytes.fill(2);
  Net::pair(a, b, &psk_a, &psk_b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.run_for(20s);
  CHECK(b.delivered.empty());
  CHECK(a.runtime_of(b).handshakes_completed == 0);
  CHECK(b.runtime_of(a).handshakes_completed == 0);
  CHECK(a.device->counters().handshake_rejected >= 1);  // responses do not authenticate
  CHECK(a.runtime_of(b).handshake_attempts >= 3);       // and it keeps retrying

  // Same PSK on both: the next retry succeeds and the staged packet arrives.
  DeviceConfig fix;
  PeerConfig p;
  p.public_key = a.public_key;
  p.preshared_key = psk_a;
  fix.peers.push_back(p);
  REQUIRE(b.device->apply(fix) == 0);
  net.run_for(6s);
  CHECK(b.delivered.size() == 1);
}

TEST_CASE("device: under load the responder sends a cookie and the initiator recovers on its retransmission") {
  Net net;
  Node& a = net.add();
  DeviceOptions loaded;
  loaded.load_threshold = 1;  // every queued handshake counts as load
  Node& b = net.add(loaded);
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  CHECK(b.device->counters().cookie_replies == 1);
  CHECK_FALSE(a.runtime_of(b).has_session);
  net.run_for(wg::kRekeyTimeout + wg::kRekeyTimeoutJitterMax, 10ms);  // one retransmission, with mac2
  CHECK(a.runtime_of(b).has_session);
  CHECK(b.delivered.size() == 1);
  CHECK(b.device->counters().cookie_replies == 1);
}

// An initiation with a valid mac1 (anyone who knows the public key can make
// one) but no valid contents.
Bytes junk_initiation(const Key32& responder, uint32_t i, wg::Instant now) {
  Bytes m(wg::kInitiationSize, uint8_t(i * 31));
  m[0] = 1, m[1] = m[2] = m[3] = 0;
  std::memcpy(&m[4], &i, 4);
  wg::CookieGenerator(responder).add_macs(m, now);
  return m;
}

TEST_CASE("device: a flood of initiations gets cookie replies while the session keeps carrying data") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  REQUIRE(a.runtime_of(b).has_session);
  b.delivered.clear();

  Endpoint attacker = endpoint4(198, 51, 100, 7, 4444);
  // The loop serves data first, handshakes in slices: one DH's worth per
  // pump (32 cookie replies), less than arrives, so the queue overflows.
  net.handshake_budget = 1;
  uint32_t sent = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 200; ++i, ++sent)
      net.in_flight.push_back({attacker, b.address, junk_initiation(b.public_key, sent, net.now)});
    a.device->send_packet(a.packet_to(b, 84, uint8_t(round)), net.now);
    net.pump(1);
    net.now += 1ms;
  }
  net.pump();
  CHECK(b.delivered.size() == 50);  // every data packet got through
  const DeviceCounters& c = b.device->counters();
  CHECK(c.handshake_queue_full > 0);            // bounded queue
  CHECK(c.cookie_replies > 0);                  // under load: cookies, not DH
  CHECK(net.unrouted.size() == c.cookie_replies);
  for (const Wire& w : net.unrouted) CHECK(w.bytes.size() == wg::kCookieReplySize);
  CHECK(b.device->pending_handshakes() == 0);
  CHECK(b.runtime_of(a).handshakes_completed == 1);  // the session was never disturbed
}

TEST_CASE("device: under load a flood is shed 32 cookie replies per DH of budget, one send per endpoint") {
  Net net;
  Node& b = net.add();
  Endpoint attacker = endpoint4(198, 51, 100, 7, 4444);
  Endpoint other = endpoint4(198, 51, 100, 8, 4444);
  for (uint32_t i = 0; i < 300; ++i) {
    Bytes m = junk_initiation(b.public_key, i, net.now);
    b.device->receive_datagram(i < 200 ? attacker : other, m, net.now);
  }
  REQUIRE(b.device->pending_handshakes() == 300);  // >= 128: under load
  // A budget of 2 DHs answers 64 messages, all without DH.
  CHECK(b.device->process_handshakes(net.now, 2) == 64);
  CHECK(b.device->counters().cookie_replies == 64);
  CHECK(b.device->counters().handshake_rejected == 0);
  REQUIRE(b.send_calls.size() == 1);  // 64 replies to one endpoint: one call
  CHECK(b.send_calls[0] == std::vector<size_t>(64, wg::kCookieReplySize));
  // The rest: one call per run of replies to the same endpoint.
  b.send_calls.clear();
  CHECK(b.device->process_handshakes(net.now) == 236);
  CHECK(b.device->counters().cookie_replies == 300);
  REQUIRE(b.send_calls.size() == 2);
  CHECK(b.send_calls[0].size() == 136);
  CHECK(b.send_calls[1].size() == 100);
}

TEST_CASE("device: the initiator rekeys after REKEY_AFTER_TIME and data keeps flowing") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b, 84, 1), net.now);
  net.pump();
  REQUIRE(b.delivered.size() == 1);
  b.delivered.clear();
  wg::Instant start = net.now;
  size_t sent = 0;
  while (net.now < start + 130s) {
    a.device->send_packet(a.packet_to(b, 84, 1), net.now);
    b.device->send_packet(b.packet_to(a, 84, 2), net.now);
    ++sent;
    net.run_for(2s, 500ms);
  }
  CHECK(a.runtime_of(b).handshakes_completed == 2);
  CHECK(*a.runtime_of(b).session_created >= start + wg::kRekeyAfterTime);
  CHECK(b.delivered.size() == sent);
  CHECK(a.delivered.size() == sent);
}

TEST_CASE("device: with no traffic every key is wiped after 540 s") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  REQUIRE(a.runtime_of(b).has_session);
  net.run_for(539s, 1s);
  CHECK(a.runtime_of(b).has_session);  // expired for sending, still held
  net.run_for(2s, 1s);
  CHECK_FALSE(a.runtime_of(b).has_session);
  CHECK_FALSE(b.runtime_of(a).has_session);
  CHECK_FALSE(a.device->next_deadline().has_value());  // nothing left to do

  // A new packet starts a fresh handshake.
  a.device->send_packet(a.packet_to(b, 84, 9), net.now);
  net.pump();
  CHECK(b.delivered.size() == 2);
}

TEST_CASE("device: persistent keepalive sends every interval and starts a handshake") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  DeviceConfig c;
  PeerConfig p;
  p.public_key = b.public_key;
  p.persistent_keepalive = 25;
  c.peers.push_back(p);
  REQUIRE(a.device->apply(c) == 0);
  REQUIRE(a.device->next_deadline().has_value());
  net.run_for(1s);
  CHECK(a.runtime_of(b).has_session);  // the first keepalive needed a session
  size_t before = net.log.size();
  net.run_for(100s, 1s);
  size_t keepalives = 0;
  for (size_t i = before; i < net.log.size(); ++i)
    if (net.log[i].from == a.address && net.log[i].bytes.size() == wg::kTransportMinSize) ++keepalives;
  CHECK(keepalives >= 3);
  CHECK(keepalives <= 5);
}

}  // namespace
}  // namespace aclc::runtime
