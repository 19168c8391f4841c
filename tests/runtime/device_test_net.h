// A fake network of Devices for the device tests: every node has a UDP
// endpoint and a tunnel address 10.0.0.N; datagrams travel through one
// in-flight queue that tests can watch, drop, replay or forge; time is a
// fake clock; randomness is seeded per node so runs are reproducible.
#ifndef ACLC_TESTS_RUNTIME_DEVICE_TEST_NET_H_
#define ACLC_TESTS_RUNTIME_DEVICE_TEST_NET_H_

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "runtime/device/device.h"
#include "runtime/wg/noise.h"

namespace aclc::runtime::testnet {

using namespace std::chrono_literals;
using Bytes = std::vector<uint8_t>;

// splitmix64: a seeded RandomSource.
inline wg::RandomSource seeded_random(uint64_t seed) {
  auto state = std::make_shared<uint64_t>(seed);
  return [state](uint8_t* buf, size_t len) {
    for (size_t i = 0; i < len; ++i) {
      if (i % 8 == 0) {
        uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        uint64_t v = z ^ (z >> 31);
        for (size_t j = 0; j < 8 && i + j < len; ++j) buf[i + j] = uint8_t(v >> (8 * j));
      }
    }
  };
}

inline Endpoint endpoint4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.address[0] = a, e.address[1] = b, e.address[2] = c, e.address[3] = d;
  e.port = port;
  return e;
}

inline AllowedIp prefix4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t bits) {
  AllowedIp ip;
  ip.family = 4;
  ip.address[0] = a, ip.address[1] = b, ip.address[2] = c, ip.address[3] = d;
  ip.bits = bits;
  return ip;
}

// An IPv4/UDP-shaped packet of `size` bytes (>= 28) with a valid total
// length; the payload bytes are `fill`.
inline Bytes ipv4_packet(const std::array<uint8_t, 4>& src, const std::array<uint8_t, 4>& dst, size_t size,
                         uint8_t fill) {
  size = std::max<size_t>(size, 28);
  Bytes p(size, fill);
  std::memset(p.data(), 0, 28);
  p[0] = 0x45;
  p[2] = uint8_t(size >> 8), p[3] = uint8_t(size);
  p[8] = 64, p[9] = 17;
  std::memcpy(&p[12], src.data(), 4);
  std::memcpy(&p[16], dst.data(), 4);
  return p;
}

struct TestPolicy : PacketPolicy {
  bool admit_in = true, admit_out = true;
  int asked_in = 0, asked_out = 0;
  bool admit_inbound(std::span<const uint8_t>, wg::Instant) override { return ++asked_in, admit_in; }
  bool admit_outbound(std::span<const uint8_t>, wg::Instant) override { return ++asked_out, admit_out; }
};

struct Wire {
  Endpoint from, to;
  Bytes bytes;
};

struct Net;

// A handshake offload that holds jobs until the test finishes them.
struct HeldOffload : HandshakeOffload {
  std::vector<InitiationJob> jobs;
  void submit(InitiationJob job) override { jobs.push_back(std::move(job)); }
  // Runs every held job and hands the results to `device`, last first if
  // `reverse`. Returns how many.
  size_t finish(Device& device, wg::Instant now, bool reverse = false) {
    std::vector<InitiationResult> results;
    for (const InitiationJob& job : jobs) results.push_back(run_initiation_job(job, wg::system_random));
    jobs.clear();
    if (reverse) std::reverse(results.begin(), results.end());
    device.complete_initiations(results, now);
    return results.size();
  }
};

struct Node : DeviceOutput {
  Node(Net& net, uint8_t n, DeviceOptions options, uint64_t seed);

  void send_datagrams(const Endpoint& to, std::span<const std::span<const uint8_t>> datagrams) override;
  void deliver_packets(std::span<const std::span<const uint8_t>> packets) override {
    for (auto p : packets) delivered.emplace_back(p.begin(), p.end());
  }

  std::array<uint8_t, 4> ip() const { return {10, 0, 0, n}; }
  Bytes packet_to(const Node& other, size_t size = 84, uint8_t fill = 0xab) const {
    return ipv4_packet(ip(), other.ip(), size, fill);
  }
  const PeerStatus* peer_status(const Node& other, DeviceStatus& holder) const {
    holder = device->status();
    for (const PeerStatus& p : holder.peers)
      if (p.public_key == other.public_key) return &p;
    return nullptr;
  }
  PeerRuntime runtime_of(const Node& other) const { return device->peer_runtime(other.public_key).value(); }
  // Initiations' DHs go through a HeldOffload, finished by Net::pump().
  void use_offload() {
    offload = std::make_unique<HeldOffload>();
    device->set_handshake_offload(offload.get());
  }

  Net& net;
  uint8_t n;
  Endpoint address;
  wg::PrivateKey private_key;
  Key32 public_key{};
  TestPolicy policy;
  std::vector<Bytes> delivered;
  std::vector<std::vector<size_t>> send_calls;  // datagram sizes per send_datagrams() call
  std::unique_ptr<Device> device;
  std::unique_ptr<HeldOffload> offload;
  ~Node() {
    if (offload) device->set_handshake_offload(nullptr);
  }
};

struct Net {
  wg::Instant now = 1000s;
  std::deque<Wire> in_flight;
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<Wire> unrouted;  // datagrams to endpoints no node has (e.g. an attacker's)
  std::vector<Wire> log;       // every datagram delivered, for replays
  // Returns false to drop a datagram in flight.
  std::function<bool(Wire&)> on_wire;
  size_t handshake_budget = SIZE_MAX;

  Node& add(DeviceOptions options = {}) {
    auto n = uint8_t(nodes.size() + 1);
    nodes.push_back(std::make_unique<Node>(*this, n, options, 0x1234 + n * 7919));
    return *nodes.back();
  }

  // a and b become each other's peers, with endpoints and /32 allowed IPs.
  static void pair(Node& a, Node& b, const wg::Secret<32>* psk_a = nullptr, const wg::Secret<32>* psk_b = nullptr) {
    auto link = [](Node& self, Node& other, const wg::Secret<32>* psk) {
      DeviceConfig c;
      PeerConfig p;
      p.public_key = other.public_key;
      p.endpoint = other.address;
      p.add_allowed_ips.push_back(prefix4(10, 0, 0, other.n, 32));
      if (psk != nullptr) p.preshared_key = *psk;
      c.peers.push_back(p);
      REQUIRE(self.device->apply(c) == 0);
    };
    link(a, b, psk_a);
    link(b, a, psk_b);
  }

  Node* node_at(const Endpoint& e) {
    for (auto& n : nodes)
      if (n->address == e) return n.get();
    return nullptr;
  }

  // Delivers everything in flight (and what it provokes), answering
  // handshakes after each round.
  void pump(int max_rounds = 50) {
    for (int round = 0; round < max_rounds; ++round) {
      bool pending = false;
      for (auto& n : nodes) pending |= n->device->pending_handshakes() > 0 || (n->offload && !n->offload->jobs.empty());
      if (in_flight.empty() && !pending) return;
      auto batch = std::move(in_flight);
      in_flight.clear();
      for (Wire& w : batch) deliver(w);
      for (auto& n : nodes) {
        n->device->process_handshakes(now, handshake_budget);
        if (n->offload) n->offload->finish(*n->device, now);
      }
    }
  }

  void deliver(Wire& w) {
    if (on_wire && !on_wire(w)) return;
    Node* to = node_at(w.to);
    if (to == nullptr) {
      unrouted.push_back(w);
      return;
    }
    log.push_back(w);
    Bytes copy = w.bytes;  // decrypted in place
    to->device->receive_datagram(w.from, copy, now);
  }

  void tick() {
    for (auto& n : nodes) n->device->tick(now);
  }

  // Advances the clock in steps, running timers and the network.
  void run_for(wg::Duration d, wg::Duration step = 100ms) {
    wg::Instant end = now + d;
    while (now < end) {
      now += step;
      tick();
      pump();
    }
  }
};

inline Node::Node(Net& net_, uint8_t n_, DeviceOptions options, uint64_t seed) : net(net_), n(n_) {
  address = endpoint4(192, 0, 2, n, 51820);
  auto rng = seeded_random(seed);
  private_key = wg::generate_private_key(rng);
  public_key = wg::public_key_of(private_key);
  Net* np = &net;
  device = std::make_unique<Device>(
      *this, policy, rng,
      [np] { return WallTime{1700000000 + np->now / 1s, (np->now % 1s).count()}; }, options);
  DeviceConfig c;
  c.private_key = private_key;
  c.listen_port = 51820;
  REQUIRE(device->apply(c) == 0);
}

inline void Node::send_datagrams(const Endpoint& to, std::span<const std::span<const uint8_t>> datagrams) {
  std::vector<size_t> sizes;
  for (auto d : datagrams) {
    net.in_flight.push_back({address, to, Bytes(d.begin(), d.end())});
    sizes.push_back(d.size());
  }
  send_calls.push_back(sizes);
}

}  // namespace aclc::runtime::testnet

#endif  // ACLC_TESTS_RUNTIME_DEVICE_TEST_NET_H_
