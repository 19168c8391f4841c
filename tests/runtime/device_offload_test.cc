// The handshake offload (runtime/device/handshake_offload.h): initiations
// answered with DHs done apart complete exactly as ones answered in place,
// and a result is only a proposal: a key change, a removed peer, a replay
// or an unknown sender refuse it. The device bounds the jobs out at once.
#include <doctest/doctest.h>

#include "runtime/wg/cookie.h"
#include "tests/runtime/device_test_net.h"

namespace aclc::runtime {
namespace {

using namespace testnet;

// An initiation from `from` to `to`, made with a handshake of its own, with
// its mac1 (the device checks it before anything else).
Bytes initiation_from(const Node& from, const Node& to, uint8_t stamp) {
  auto identity = wg::LocalIdentity::from_private(from.private_key);
  auto hs = wg::Handshake::create(identity, to.public_key, wg::Key{});
  REQUIRE(hs);
  wg::Tai64n ts{};
  ts[0] = 0x40;
  ts[7] = stamp;  // seconds: later stamps are newer
  auto m = hs->create_initiation(77, ts, wg::system_random);
  REQUIRE(m);
  auto bytes = wg::encode(*m);
  wg::CookieGenerator(to.public_key).add_macs(bytes, wg::Instant(0));
  return Bytes(bytes.begin(), bytes.end());
}

// `to` receives `initiation` from `from` and takes its handshake queue.
void receive_and_process(Net& net, const Node& from, Node& to, Bytes initiation) {
  to.device->receive_datagram(from.address, initiation, net.now);  // decrypted in place: a copy
  to.device->process_handshakes(net.now);
}

TEST_CASE("device offload: a handshake answered through the offload completes as one answered in place") {
  for (int responder_offloads = 0; responder_offloads < 2; ++responder_offloads) {
    CAPTURE(responder_offloads);
    Net net;
    Node& a = net.add();
    Node& b = net.add();
    Net::pair(a, b);
    a.use_offload();  // a initiates: its own path has no initiation to offload
    if (responder_offloads) b.use_offload();

    a.device->send_packet(a.packet_to(b, 84, 1), net.now);
    net.pump();
    REQUIRE(b.delivered.size() == 1);
    CHECK(b.delivered[0] == a.packet_to(b, 84, 1));
    b.device->send_packet(b.packet_to(a, 120, 2), net.now);
    net.pump();
    REQUIRE(a.delivered.size() == 1);
    CHECK(b.runtime_of(a).handshakes_completed == 1);
    CHECK(b.device->counters().handshake_rejected == 0);
    CHECK(b.device->offloaded_in_flight() == 0);
    DeviceStatus s;
    CHECK(b.peer_status(a, s)->rx_bytes == 148 + 128);  // the initiation counts as in place
  }
}

TEST_CASE("device offload: results made under an old private key are refused") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  b.use_offload();
  receive_and_process(net, a, b, initiation_from(a, b, 1));
  REQUIRE(b.offload->jobs.size() == 1);
  CHECK(b.device->offloaded_in_flight() == 1);

  DeviceConfig rekey;
  auto rng = seeded_random(99);
  rekey.private_key = wg::generate_private_key(rng);
  REQUIRE(b.device->apply(rekey) == 0);
  b.send_calls.clear();
  b.offload->finish(*b.device, net.now);
  CHECK(b.device->counters().handshake_rejected == 1);
  CHECK(b.send_calls.empty());  // no response under either key
  CHECK(b.device->offloaded_in_flight() == 0);
  CHECK_FALSE(b.runtime_of(a).has_session);
}

TEST_CASE("device offload: a peer removed meanwhile, a replay and an unknown sender are refused") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Node& stranger = net.add();  // knows b's public key, is not b's peer
  Net::pair(a, b);
  b.use_offload();

  // Unknown sender: the job itself refuses after opening (one DH).
  receive_and_process(net, stranger, b, initiation_from(stranger, b, 1));
  REQUIRE(b.offload->jobs.size() == 1);
  InitiationResult r = run_initiation_job(b.offload->jobs[0], wg::system_random);
  CHECK_FALSE(r.prepared);
  b.offload->finish(*b.device, net.now);
  CHECK(b.device->counters().handshake_rejected == 1);

  // A genuine initiation, answered; then the same bytes again: a replay.
  Bytes genuine = initiation_from(a, b, 2);
  receive_and_process(net, a, b, genuine);
  b.send_calls.clear();
  b.offload->finish(*b.device, net.now);
  CHECK(b.send_calls.size() == 1);  // the response
  CHECK(b.device->counters().handshake_rejected == 1);
  net.now += std::chrono::seconds(1);
  receive_and_process(net, a, b, genuine);
  b.send_calls.clear();
  b.offload->finish(*b.device, net.now);
  CHECK(b.send_calls.empty());
  CHECK(b.device->counters().handshake_rejected == 2);

  // A newer initiation whose peer is removed before the result lands.
  receive_and_process(net, a, b, initiation_from(a, b, 3));
  REQUIRE(b.offload->jobs.size() == 1);
  DeviceConfig remove;
  PeerConfig gone;
  gone.public_key = a.public_key;
  gone.remove = true;
  remove.peers.push_back(gone);
  REQUIRE(b.device->apply(remove) == 0);
  b.send_calls.clear();
  b.offload->finish(*b.device, net.now);
  CHECK(b.send_calls.empty());
  CHECK(b.device->counters().handshake_rejected == 3);
  CHECK(b.device->offloaded_in_flight() == 0);
}

TEST_CASE("device offload: at most offload_in_flight jobs are out; the rest wait in the queue") {
  Net net;
  DeviceOptions options;
  options.offload_in_flight = 4;
  Node& a = net.add();
  Node& b = net.add(options);
  Net::pair(a, b);
  b.use_offload();
  for (uint8_t i = 0; i < 10; ++i) {
    Bytes m = initiation_from(a, b, uint8_t(10 + i));
    b.device->receive_datagram(a.address, m, net.now);
  }
  b.device->process_handshakes(net.now);
  CHECK(b.offload->jobs.size() == 4);
  CHECK(b.device->offloaded_in_flight() == 4);
  CHECK(b.device->pending_handshakes() == 6);
  CHECK_FALSE(b.device->handshakes_ready());  // waiting for room, not for work
  b.device->process_handshakes(net.now);
  CHECK(b.offload->jobs.size() == 4);  // nothing more was taken

  // Finished last first: the newest of the four is accepted, the three
  // older ones are stale by then (and flooding within 20 ms anyway).
  b.send_calls.clear();
  b.offload->finish(*b.device, net.now, true);
  CHECK(b.send_calls.size() == 1);
  CHECK(b.device->counters().handshake_rejected == 3);
  CHECK(b.device->offloaded_in_flight() == 0);
  CHECK(b.device->handshakes_ready());
  b.device->process_handshakes(net.now);
  CHECK(b.offload->jobs.size() == 4);
  CHECK(b.device->pending_handshakes() == 2);
}

TEST_CASE("device offload: detaching the offload voids the results still out") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  b.use_offload();
  receive_and_process(net, a, b, initiation_from(a, b, 1));
  REQUIRE(b.offload->jobs.size() == 1);
  b.device->set_handshake_offload(nullptr);
  CHECK(b.device->offloaded_in_flight() == 0);
  b.send_calls.clear();
  b.offload->finish(*b.device, net.now);
  CHECK(b.send_calls.empty());
  CHECK(b.device->counters().handshake_rejected == 1);
  // In place again: the next initiation is answered by process_handshakes().
  receive_and_process(net, a, b, initiation_from(a, b, 2));
  CHECK(b.send_calls.size() == 1);
  b.offload.reset();
}

}  // namespace
}  // namespace aclc::runtime
