// Device::apply() and status() with UAPI semantics: peers added, updated
// and removed, replace_peers, allowed IPs moving between peers, private key
// changes, all-or-nothing validation.
#include <doctest/doctest.h>

#include <algorithm>

#include "tests/runtime/device_test_net.h"

namespace aclc::runtime {
namespace {

using namespace testnet;

PeerConfig peer_config(const Node& n) {
  PeerConfig p;
  p.public_key = n.public_key;
  return p;
}

int apply_peer(Node& self, const PeerConfig& p, bool replace_peers = false) {
  DeviceConfig c;
  c.replace_peers = replace_peers;
  c.peers.push_back(p);
  return self.device->apply(c);
}

std::vector<AllowedIp> allowed_of(const Node& self, const Node& other) {
  DeviceStatus s;
  const PeerStatus* p = self.peer_status(other, s);
  return p != nullptr ? p->allowed_ips : std::vector<AllowedIp>{};
}

TEST_CASE("device config: status reports what apply set") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  DeviceConfig c;
  c.fwmark = 7;
  PeerConfig p = peer_config(b);
  p.persistent_keepalive = 25;
  p.add_allowed_ips.push_back(prefix4(10, 9, 255, 255, 16));  // host bits are cleared
  wg::Secret<32> psk;
  psk.bytes.fill(5);
  p.preshared_key = psk;
  c.peers.push_back(p);
  REQUIRE(a.device->apply(c) == 0);

  DeviceStatus s = a.device->status();
  REQUIRE(s.private_key.has_value());
  CHECK(s.private_key->bytes == a.private_key.bytes);
  CHECK(s.listen_port == 51820);
  CHECK(s.fwmark == 7);
  REQUIRE(s.peers.size() == 1);
  CHECK(s.peers[0].public_key == b.public_key);
  CHECK(s.peers[0].preshared_key.bytes == psk.bytes);
  CHECK(s.peers[0].persistent_keepalive == 25);
  CHECK(*s.peers[0].endpoint == b.address);
  REQUIRE(s.peers[0].allowed_ips.size() == 2);
  CHECK(s.peers[0].allowed_ips[0] == prefix4(10, 0, 0, 2, 32));
  CHECK(s.peers[0].allowed_ips[1] == prefix4(10, 9, 0, 0, 16));
  CHECK(*a.device->public_key() == a.public_key);
}

TEST_CASE("device config: an invalid request changes nothing") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Node& c = net.add();
  Net::pair(a, b);
  DeviceConfig bad;
  bad.replace_peers = true;
  bad.peers.push_back(peer_config(c));
  PeerConfig broken = peer_config(b);
  broken.add_allowed_ips.push_back(prefix4(10, 0, 0, 0, 33));
  bad.peers.push_back(broken);
  CHECK(a.device->apply(bad) == -EINVAL);
  DeviceStatus s = a.device->status();
  REQUIRE(s.peers.size() == 1);
  CHECK(s.peers[0].public_key == b.public_key);

  PeerConfig bad_endpoint = peer_config(c);
  bad_endpoint.endpoint = Endpoint{};
  bad_endpoint.endpoint->family = 5;
  CHECK(apply_peer(a, bad_endpoint) == -EINVAL);
  CHECK(a.device->status().peers.size() == 1);
}

TEST_CASE("device config: removing a peer ends its sessions and routes") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  REQUIRE(b.delivered.size() == 1);

  PeerConfig remove = peer_config(b);
  remove.remove = true;
  REQUIRE(apply_peer(a, remove) == 0);
  CHECK(a.device->status().peers.empty());
  CHECK_FALSE(a.device->peer_runtime(b.public_key));
  a.device->send_packet(a.packet_to(b), net.now);
  CHECK(a.device->counters().no_route == 1);
  b.device->send_packet(b.packet_to(a), net.now);  // b's old session now names nothing on a
  net.pump();
  CHECK(a.delivered.empty());
  CHECK(a.device->counters().no_keypair == 1);
  CHECK_FALSE(a.device->next_deadline().has_value());

  // update_only does not bring it back; a plain section does.
  PeerConfig update = peer_config(b);
  update.update_only = true;
  REQUIRE(apply_peer(a, update) == 0);
  CHECK(a.device->status().peers.empty());
  update.update_only = false;
  REQUIRE(apply_peer(a, update) == 0);
  CHECK(a.device->status().peers.size() == 1);
}

TEST_CASE("device config: replace_peers keeps only the peers of the request") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Node& c = net.add();
  Net::pair(a, b);
  PeerConfig pc = peer_config(c);
  pc.add_allowed_ips.push_back(prefix4(10, 0, 0, 3, 32));
  REQUIRE(apply_peer(a, pc, true) == 0);
  DeviceStatus s = a.device->status();
  REQUIRE(s.peers.size() == 1);
  CHECK(s.peers[0].public_key == c.public_key);
  a.device->send_packet(a.packet_to(b), net.now);
  CHECK(a.device->counters().no_route == 1);
}

TEST_CASE("device config: an allowed IP moves between peers; removal and replacement") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Node& c = net.add();
  Net::pair(a, b);
  Net::pair(a, c);
  AllowedIp shared = prefix4(10, 1, 0, 0, 24);
  PeerConfig to_b = peer_config(b);
  to_b.add_allowed_ips.push_back(shared);
  REQUIRE(apply_peer(a, to_b) == 0);
  CHECK(allowed_of(a, b).size() == 2);
  PeerConfig to_c = peer_config(c);
  to_c.add_allowed_ips.push_back(shared);
  REQUIRE(apply_peer(a, to_c) == 0);
  CHECK(allowed_of(a, b).size() == 1);  // moved away from b
  CHECK(allowed_of(a, c).size() == 2);

  // Traffic to the prefix goes to c now, and c may source from it.
  a.device->send_packet(ipv4_packet(a.ip(), {10, 1, 0, 5}, 84, 1), net.now);
  net.pump();
  CHECK(c.delivered.size() == 1);
  CHECK(b.delivered.empty());

  // Removing a prefix another peer owns does nothing; the owner's removal works.
  PeerConfig not_owner = peer_config(b);
  not_owner.remove_allowed_ips.push_back(shared);
  REQUIRE(apply_peer(a, not_owner) == 0);
  CHECK(allowed_of(a, c).size() == 2);
  PeerConfig owner = peer_config(c);
  owner.remove_allowed_ips.push_back(prefix4(10, 1, 0, 77, 24));  // host bits ignored
  REQUIRE(apply_peer(a, owner) == 0);
  CHECK(allowed_of(a, c) == std::vector<AllowedIp>{prefix4(10, 0, 0, 3, 32)});

  PeerConfig replace = peer_config(c);
  replace.replace_allowed_ips = true;
  replace.add_allowed_ips.push_back(prefix4(10, 2, 0, 0, 16));
  REQUIRE(apply_peer(a, replace) == 0);
  CHECK(allowed_of(a, c) == std::vector<AllowedIp>{prefix4(10, 2, 0, 0, 16)});
}

TEST_CASE("device config: a new private key clears sessions; peers that learn it handshake again") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  REQUIRE(a.runtime_of(b).has_session);

  // The same key again changes nothing.
  DeviceConfig same;
  same.private_key = a.private_key;
  REQUIRE(a.device->apply(same) == 0);
  CHECK(a.runtime_of(b).has_session);

  auto rng = seeded_random(4242);
  wg::PrivateKey fresh = wg::generate_private_key(rng);
  Key32 fresh_public = wg::public_key_of(fresh);
  DeviceConfig rekey;
  rekey.private_key = fresh;
  // A peer carrying the new public key is dropped, as wireguard-go does.
  PeerConfig self_peer;
  self_peer.public_key = fresh_public;
  REQUIRE(apply_peer(a, self_peer) == 0);
  REQUIRE(a.device->status().peers.size() == 2);
  REQUIRE(a.device->apply(rekey) == 0);
  CHECK(a.device->status().peers.size() == 1);
  CHECK(*a.device->public_key() == fresh_public);
  CHECK_FALSE(a.runtime_of(b).has_session);
  // And a section for our own key is ignored.
  REQUIRE(apply_peer(a, self_peer) == 0);
  CHECK(a.device->status().peers.size() == 1);

  // b still knows the old key: a's new initiation names an unknown peer.
  uint64_t rejected = b.device->counters().handshake_rejected;
  a.device->send_packet(a.packet_to(b, 84, 2), net.now);
  net.pump();
  CHECK(b.device->counters().handshake_rejected == rejected + 1);
  CHECK(b.delivered.size() == 1);

  // b learns the new key (a new peer for b); the next retry succeeds.
  PeerConfig old_a = peer_config(a);
  old_a.remove = true;
  PeerConfig new_a;
  new_a.public_key = fresh_public;
  new_a.endpoint = a.address;
  new_a.add_allowed_ips.push_back(prefix4(10, 0, 0, 1, 32));
  DeviceConfig learn;
  learn.peers = {old_a, new_a};
  REQUIRE(b.device->apply(learn) == 0);
  net.run_for(6s);
  CHECK(b.delivered.size() == 2);
  CHECK(a.runtime_of(b).has_session);

  // Removing the key (all zero) stops every session.
  DeviceConfig none;
  none.private_key = wg::Secret<32>();
  REQUIRE(a.device->apply(none) == 0);
  CHECK_FALSE(a.device->status().private_key.has_value());
  CHECK_FALSE(a.runtime_of(b).has_session);
  a.device->send_packet(a.packet_to(b), net.now);
  CHECK(net.in_flight.empty());  // nothing can be sent without a key
}

TEST_CASE("device config: a changed preshared key keeps replay protection") {
  Net net;
  Node& a = net.add();
  Node& b = net.add();
  Net::pair(a, b);
  a.device->send_packet(a.packet_to(b), net.now);
  net.pump();
  Wire initiation = net.log.front();
  REQUIRE(initiation.bytes.size() == wg::kInitiationSize);

  wg::Secret<32> psk;
  psk.bytes.fill(3);
  PeerConfig p = peer_config(a);
  p.preshared_key = psk;
  REQUIRE(apply_peer(b, p) == 0);  // rebuilds b's handshake with a
  uint64_t rejected = b.device->counters().handshake_rejected;
  net.now += 1s;
  net.in_flight.push_back(initiation);  // a captured initiation, replayed
  net.pump();
  CHECK(b.device->counters().handshake_rejected == rejected + 1);
}

}  // namespace
}  // namespace aclc::runtime
