// The device's data path over a fake network: staging, batching, cryptokey
// routing, replayed and forged transport packets, roaming, the packet
// policy both ways, malformed input.
#include <doctest/doctest.h>

#include "tests/runtime/device_test_net.h"

namespace aclc::runtime {
namespace {

using namespace testnet;

TEST_CASE("device: staged packets leave in order after the handshake; the oldest overflow") {
  Net net;
  DeviceOptions small;
  small.staged_per_peer = 8;
  Node& a = net.add(small);
  Node& b = net.add();
  Net::pair(a, b);
  for (int i = 0; i < 12; ++i) a.device->send_packet(a.packet_to(b, 100, uint8_t(i)), net.now);
  CHECK(net.in_flight.size() == 1);  // one initiation, not twelve
  CHECK(a.device->counters().staged_overflow == 4);
  net.pump();
  REQUIRE(b.delivered.size() == 8);
  for (int i = 0; i < 8; ++i) CHECK(b.delivered[size_t(i)] == a.packet_to(b, 100, uint8_t(i + 4)));
  CHECK(a.runtime_of(b).staged == 0);
}

TEST_CASE("device: the responder sends no data before key confirmation") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  Wire initiation = net.in_flight.front();
  net.in_flight.clear();
  net.deliver(initiation);
  b.device->process_handshakes(net.now);
  REQUIRE(net.in_flight.size() == 1);  // the response
  Wire response = net.in_flight.front();
  net.in_flight.clear();
  CHECK_FALSE(b.runtime_of(a).has_session);  // waiting in next

  b.device->send_packet(b.packet_to(a, 84, 3), net.now);
  CHECK(b.runtime_of(a).staged == 1);
  for (const Wire& w : net.in_flight) CHECK(w.bytes[0] != 4);  // no transport message left b
  net.in_flight.push_front(response);
  net.run_for(wg::kRekeyTimeout + wg::kRekeyTimeoutJitterMax);
  CHECK(a.delivered.size() == 1);
  CHECK(b.delivered.size() == 1);
}

TEST_CASE("device: a batch is encrypted in place and sent as one call per peer") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Node& c = net.add();
  Net::pair(a, b);
  Net::pair(a, c);
  a.device->send_packet(a.packet_to(b), net.now);
  a.device->send_packet(a.packet_to(c), net.now);
  net.pump();
  b.delivered.clear(), c.delivered.clear(), a.send_calls.clear();

  std::vector<std::vector<uint8_t>> buffers;
  std::vector<OutboundPacket> batch;
  for (int i = 0; i < 10; ++i) {
    Bytes p = a.packet_to(i % 2 ? c : b, 1400, uint8_t(i));
    Bytes buffer(kPacketHeadroom + p.size() + kPacketTailroom, 0xee);
    std::memcpy(buffer.data() + kPacketHeadroom, p.data(), p.size());
    buffers.push_back(std::move(buffer));
  }
  for (auto& buffer : buffers) batch.push_back({buffer, 1400});
  a.device->send_packets(batch, net.now);
  REQUIRE(a.send_calls.size() == 2);
  CHECK(a.send_calls[0] == std::vector<size_t>(5, 16 + 1408 + 16));  // equal sizes: GSO-ready
  CHECK(a.send_calls[1] == std::vector<size_t>(5, 16 + 1408 + 16));
  net.pump();
  REQUIRE(b.delivered.size() == 5);
  REQUIRE(c.delivered.size() == 5);
  CHECK(b.delivered[4] == a.packet_to(b, 1400, 8));
  CHECK(c.delivered[4] == a.packet_to(c, 1400, 9));

  // A buffer without tail room is refused, not overrun.
  Bytes tight(kPacketHeadroom + 84);
  OutboundPacket bad{tight, 84};
  a.device->send_packets(std::span<OutboundPacket>(&bad, 1), net.now);
  CHECK(a.device->counters().malformed == 1);
}

TEST_CASE("device: an inner source outside the sending peer's allowed IPs is dropped (cryptokey routing)") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Node& c = net.add();
  Net::pair(a, b);
  Net::pair(a, c);
  // c pretends to be b inside its tunnel to a.
  c.device->send_packet(ipv4_packet(b.ip(), a.ip(), 84, 7), net.now);
  net.pump();
  CHECK(a.delivered.empty());
  CHECK(a.device->counters().cryptokey_mismatch == 1);
  CHECK(a.policy.asked_in == 0);  // dropped before the filter
  c.device->send_packet(c.packet_to(a), net.now);
  net.pump();
  CHECK(a.delivered.size() == 1);
}

TEST_CASE("device: within one receive batch, a spoofed source after a genuine one is still refused") {
  // The device memoises allowed-IPs lookups per batch; the memo must map an
  // address to its owner, never to the peer that sent it last.
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Node& c = net.add();
  Net::pair(a, b);
  Net::pair(a, c);
  b.device->send_packet(b.packet_to(a), net.now);
  c.device->send_packet(c.packet_to(a), net.now);
  net.pump();
  REQUIRE(a.delivered.size() == 2);
  a.delivered.clear();

  b.device->send_packet(b.packet_to(a, 84, 1), net.now);
  c.device->send_packet(ipv4_packet(b.ip(), a.ip(), 84, 2), net.now);  // c claims b's address
  b.device->send_packet(b.packet_to(a, 84, 3), net.now);
  REQUIRE(net.in_flight.size() == 3);
  std::vector<Bytes> bytes;
  for (Wire& w : net.in_flight) bytes.push_back(w.bytes);
  std::vector<InboundDatagram> batch;
  for (size_t i = 0; i < 3; ++i) batch.push_back({net.in_flight[i].from, bytes[i]});
  net.in_flight.clear();
  a.device->receive_datagrams(batch, net.now);
  REQUIRE(a.delivered.size() == 2);
  CHECK(a.delivered[0] == b.packet_to(a, 84, 1));
  CHECK(a.delivered[1] == b.packet_to(a, 84, 3));
  CHECK(a.device->counters().cryptokey_mismatch == 1);
}

TEST_CASE("device: replayed and forged transport packets are dropped and counted") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b, 84, 1), net.now);
  net.pump();
  REQUIRE(b.delivered.size() == 1);
  a.device->send_packet(a.packet_to(b, 84, 2), net.now);
  net.pump();
  REQUIRE(b.delivered.size() == 2);
  Wire data = net.log.back();
  REQUIRE(data.bytes.size() == 128);

  net.in_flight.push_back(data);  // replay
  net.pump();
  CHECK(b.delivered.size() == 2);
  CHECK(b.device->counters().auth_failed == 1);

  for (size_t i : {size_t(16), size_t(60), data.bytes.size() - 1, size_t(8)}) {  // ciphertext, tag, counter
    Wire forged = data;
    forged.bytes[i] ^= 0x40;
    net.in_flight.push_back(forged);
  }
  Wire unknown = data;
  unknown.bytes[4] ^= 1;  // no such receiver index
  net.in_flight.push_back(unknown);
  net.pump();
  CHECK(b.delivered.size() == 2);
  CHECK(b.device->counters().auth_failed == 5);
  CHECK(b.device->counters().no_keypair == 1);

  // A forged high counter did not slide the window: the next genuine packet passes.
  a.device->send_packet(a.packet_to(b, 84, 3), net.now);
  net.pump();
  CHECK(b.delivered.size() == 3);
}

TEST_CASE("device: only authenticated packets move a peer's endpoint (roaming)") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  Endpoint roamed = endpoint4(203, 0, 113, 9, 40000);

  a.device->send_packet(a.packet_to(b, 84, 5), net.now);
  Wire w = net.in_flight.front();
  net.in_flight.clear();
  Wire forged = w;
  forged.from = roamed;
  forged.bytes[40] ^= 1;
  net.deliver(forged);
  DeviceStatus s;
  CHECK(*b.peer_status(a, s)->endpoint == a.address);

  Wire genuine = w;
  genuine.from = roamed;
  net.deliver(genuine);
  CHECK(b.delivered.size() == 2);
  CHECK(*b.peer_status(a, s)->endpoint == roamed);
  b.device->send_packet(b.packet_to(a), net.now);
  REQUIRE(net.in_flight.size() == 1);
  CHECK(net.in_flight.front().to == roamed);  // replies follow the peer
}

TEST_CASE("device: the packet policy's verdict is respected both ways") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  REQUIRE(b.delivered.size() == 1);

  b.policy.admit_in = false;
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  CHECK(b.delivered.size() == 1);
  CHECK(b.device->counters().policy_inbound == 1);

  a.policy.admit_out = false;
  size_t logged = net.log.size();
  a.device->send_packet(a.packet_to(b), net.now);
  CHECK(net.in_flight.empty());
  net.pump();
  CHECK(net.log.size() == logged);
  CHECK(a.device->counters().policy_outbound == 1);
  CHECK(a.runtime_of(b).staged == 0);  // refused packets are not staged either
}

TEST_CASE("device: unroutable, malformed and unsolicited input is dropped silently") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(ipv4_packet(a.ip(), {10, 0, 0, 99}, 84, 0), net.now);
  CHECK(a.device->counters().no_route == 1);
  a.device->send_packet(Bytes{0x45, 0}, net.now);
  Bytes v5(40, 0);
  v5[0] = 0x50;
  a.device->send_packet(v5, net.now);
  CHECK(a.device->counters().malformed == 2);
  CHECK(net.in_flight.empty());

  uint64_t before = a.device->counters().malformed;
  auto rng = seeded_random(99);
  Endpoint stranger = endpoint4(198, 51, 100, 1, 9);
  for (size_t size : {0, 1, 4, 31, 32, 64, 92, 148, 200, 1500}) {
    Bytes junk(size);
    if (size) rng(junk.data(), size);
    for (uint8_t type : {1, 2, 3, 4}) {
      if (size) junk[0] = type;
      if (size >= 4) junk[1] = junk[2] = junk[3] = 0;
      a.device->receive_datagram(stranger, junk, net.now);
    }
  }
  a.device->process_handshakes(net.now);
  CHECK(net.in_flight.empty());  // never an answer to unauthenticated input
  const DeviceCounters& c = a.device->counters();
  CHECK(c.malformed - before + c.bad_mac1 + c.no_keypair + c.handshake_rejected == 40);
  CHECK(a.delivered.empty());
}

}  // namespace
}  // namespace aclc::runtime

namespace aclc::runtime {
namespace {

using namespace testnet;

Bytes ipv6_packet(uint8_t src_last, uint8_t dst_last, size_t payload, uint8_t fill) {
  Bytes p(40 + payload, fill);
  std::memset(p.data(), 0, 40);
  p[0] = 0x60;
  p[4] = uint8_t(payload >> 8), p[5] = uint8_t(payload);
  p[6] = 17, p[7] = 64;
  p[8] = 0xfd, p[23] = src_last;
  p[24] = 0xfd, p[39] = dst_last;
  return p;
}

TEST_CASE("device: IPv6 inside the tunnel and an IPv6 endpoint") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  b.address = Endpoint{};
  b.address.family = 6;
  b.address.address[0] = 0x20, b.address.address[1] = 0x01, b.address.address[15] = 2;
  b.address.port = 51820;
  Net::pair(a, b);
  auto v6 = [](uint8_t last) {
    AllowedIp ip;
    ip.family = 6;
    ip.address[0] = 0xfd, ip.address[15] = last;
    ip.bits = 128;
    return ip;
  };
  PeerConfig to_b;
  to_b.public_key = b.public_key;
  to_b.add_allowed_ips.push_back(v6(2));
  PeerConfig to_a;
  to_a.public_key = a.public_key;
  to_a.add_allowed_ips.push_back(v6(1));
  DeviceConfig ca, cb;
  ca.peers.push_back(to_b);
  cb.peers.push_back(to_a);
  REQUIRE(a.device->apply(ca) == 0);
  REQUIRE(b.device->apply(cb) == 0);

  a.device->send_packet(ipv6_packet(1, 2, 100, 1), net.now);
  net.pump();
  REQUIRE(b.delivered.size() == 1);
  CHECK(b.delivered[0] == ipv6_packet(1, 2, 100, 1));  // padding trimmed by the IPv6 length
  b.device->send_packet(ipv6_packet(2, 1, 7, 2), net.now);
  net.pump();
  REQUIRE(a.delivered.size() == 1);
  CHECK(a.delivered[0] == ipv6_packet(2, 1, 7, 2));
  DeviceStatus s;
  CHECK(a.peer_status(b, s)->allowed_ips.back() == v6(2));

  // A v6 source b does not own is refused.
  b.device->send_packet(ipv6_packet(9, 1, 7, 3), net.now);
  net.pump();
  CHECK(a.delivered.size() == 1);
  CHECK(a.device->counters().cryptokey_mismatch == 1);
}

}  // namespace
}  // namespace aclc::runtime
