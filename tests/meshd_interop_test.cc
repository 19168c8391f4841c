// Interoperability in network namespaces: two nodes, each wireguard-go or
// meshd, peered through a UDP relay that shows who sent what. For each pair
// and each side initiating: the handshake comes from the side that sent
// first, ping, TCP and UDP pass both ways, and `wg show` on both sides
// agrees on the handshake time and the bytes that crossed. Then meshd's
// enforcement of a compiled policy on the tunnel.
//
// wireguard-go <-> wireguard-go runs always: it is the harness's own check.
// The meshd pairs exist when meshd is built. Needs root.
#include <doctest/doctest.h>

#include <cstdlib>
#include <thread>

#include "tests/mesh/mesh.h"
#include "tests/mesh/probe.h"
#include "tests/mesh/relay.h"
#include "tests/mesh/testing.h"

using namespace mesh;

namespace {

constexpr uint16_t kEchoPort = 7000;
constexpr size_t kTcpBytes = 1 << 20;

// A two-node mesh with a relay between the nodes.
struct Pair {
  Mesh mesh{binaries()};
  Node& a;
  Node& b;
  std::unique_ptr<Relay> relay;

  Pair(Impl ia, Impl ib, const std::string& policy = Mesh::kAllowAll, int time_scale = 0)
      : a(mesh.add({"alpha", ia, "100.64.0.1", "owner@example.com", {}, ia == Impl::kMeshd ? time_scale : 0})),
        b(mesh.add({"beta", ib, "100.64.0.2", "owner@example.com", {}, ib == Impl::kMeshd ? time_scale : 0})) {
    // alpha reaches beta at 41001, beta reaches alpha at 41000.
    relay = std::make_unique<Relay>(mesh.udp(), a.listen_port(), b.listen_port(), 41001, 41000);
    mesh.advertise(b, 41001);
    mesh.advertise(a, 41000);
    mesh.start(policy);
  }
};

// One side never counts more than the other sent (handshake messages may
// be counted on one side only). Loopback may drop datagrams under a TCP
// burst, so totals can differ the other way; the exact comparison is on
// paced pings below.
void check_not_more_than_sent(const PeerState& sender_view, const PeerState& receiver_view, const std::string& what) {
  INFO(what << ": sent " << sender_view.tx_bytes << ", received " << receiver_view.rx_bytes);
  CHECK(receiver_view.rx_bytes <= sender_view.tx_bytes + 256);
}

void interop(Impl ia, Impl ib, bool a_initiates) {
  require_host({"ip", "wg", "wireguard-go", "ping"});
  Pair p(ia, ib);
  Node& init = a_initiates ? p.a : p.b;
  Node& resp = a_initiates ? p.b : p.a;
  Direction forward = a_initiates ? Direction::kAtoB : Direction::kBtoA;
  Direction back = a_initiates ? Direction::kBtoA : Direction::kAtoB;
  INFO(impl_name(init.impl()) << " initiates to " << impl_name(resp.impl()) << "\n" << p.mesh.logs());
  EchoServer server_a(p.a.ns(), {kEchoPort});
  EchoServer server_b(p.b.ns(), {kEchoPort});

  CHECK(init.show().peer(resp.public_key()).latest_handshake == 0);
  CHECK(resp.show().peer(init.public_key()).latest_handshake == 0);

  // The first packet starts the handshake; it may itself be lost meanwhile.
  REQUIRE(ping(init.ns(), resp.address(), 4, 0.25) >= 3);
  CHECK(p.relay->forwarded(forward, 1) >= 1);
  CHECK(p.relay->forwarded(back, 1) == 0);
  CHECK(p.relay->forwarded(back, 2) >= 1);

  CHECK(ping(resp.ns(), init.address(), 10, 0.01) == 10);
  CHECK(tcp_echo(init.ns(), resp.address(), kEchoPort, kTcpBytes));
  CHECK(tcp_echo(resp.ns(), init.address(), kEchoPort, kTcpBytes));
  CHECK(udp_echo(init.ns(), resp.address(), kEchoPort, "from the initiator"));
  CHECK(udp_echo(resp.ns(), init.address(), kEchoPort, "from the responder"));
  CHECK(server_b.udp_seen(a_initiates ? "from the initiator" : "from the responder") == 1);
  CHECK(server_a.udp_seen(a_initiates ? "from the responder" : "from the initiator") == 1);

  // Quiet, then compare both views.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  PeerState ab = p.a.show().peer(p.b.public_key());
  PeerState ba = p.b.show().peer(p.a.public_key());
  CHECK(ab.latest_handshake > 0);
  CHECK(ba.latest_handshake > 0);
  CHECK(std::llabs(ab.latest_handshake - ba.latest_handshake) <= 2);
  CHECK(std::llabs(ab.latest_handshake - static_cast<int64_t>(std::time(nullptr))) <= 30);
  CHECK(ab.tx_bytes > 2 * kTcpBytes);
  CHECK(ba.tx_bytes > 2 * kTcpBytes);
  check_not_more_than_sent(ab, ba, "alpha to beta");
  check_not_more_than_sent(ba, ab, "beta to alpha");

  // Paced pings, nothing lost: both sides count exactly the same bytes, and
  // exactly what the protocol says (84-byte echo padded to 96, plus the
  // 16-byte header and 16-byte tag: 128 bytes each way per ping).
  constexpr int kPings = 20;
  REQUIRE(ping(p.a.ns(), p.b.address(), kPings, 0.02) == kPings);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  PeerState ab2 = p.a.show().peer(p.b.public_key());
  PeerState ba2 = p.b.show().peer(p.a.public_key());
  CHECK(ab2.tx_bytes - ab.tx_bytes == kPings * 128);
  CHECK(ba2.rx_bytes - ba.rx_bytes == kPings * 128);
  CHECK(ba2.tx_bytes - ba.tx_bytes == kPings * 128);
  CHECK(ab2.rx_bytes - ab.rx_bytes == kPings * 128);
  CHECK(ab.endpoint == "127.0.0.1:41001");
  CHECK(ba.endpoint == "127.0.0.1:41000");
  CHECK(p.a.alive());
  CHECK(p.b.alive());
}

}  // namespace

TEST_CASE("interop: wireguard-go <-> wireguard-go (the harness's baseline)") {
  SUBCASE("alpha initiates") { interop(Impl::kWireguardGo, Impl::kWireguardGo, true); }
  SUBCASE("beta initiates") { interop(Impl::kWireguardGo, Impl::kWireguardGo, false); }
}

#ifdef MESHD_BIN
TEST_CASE("interop: meshd <-> wireguard-go") {
  SUBCASE("meshd initiates") { interop(Impl::kMeshd, Impl::kWireguardGo, true); }
  SUBCASE("wireguard-go initiates") { interop(Impl::kMeshd, Impl::kWireguardGo, false); }
}

TEST_CASE("interop: meshd <-> meshd") {
  SUBCASE("alpha initiates") { interop(Impl::kMeshd, Impl::kMeshd, true); }
  SUBCASE("beta initiates") { interop(Impl::kMeshd, Impl::kMeshd, false); }
}

// alpha (meshd) enforces: beta may open TCP 8080 on alpha and nothing else;
// alpha may open anything on beta (wireguard-go, no filter), and the
// replies of what alpha opened come back through alpha's filter although
// the policy grants beta nothing towards those ports.
TEST_CASE("enforcement: meshd drops what the policy denies and passes replies to its own flows") {
  require_host({"ip", "wg", "wireguard-go", "ping"});
  const char* policy = R"({"acls": [
    {"action": "accept", "src": ["beta"], "proto": "tcp", "dst": ["alpha:8080"]},
    {"action": "accept", "src": ["alpha"], "dst": ["beta:*"]}]})";
  Pair p(Impl::kMeshd, Impl::kWireguardGo, policy);
  INFO(p.mesh.logs());
  EchoServer on_alpha(p.a.ns(), {8080, 8081, 9001});
  EchoServer on_beta(p.b.ns(), {9000, 9001});

  // Denied flows first, while alpha has opened nothing towards beta.
  std::vector<bool> tcp = tcp_reach(p.b.ns(), p.a.address(), {8080, 8081}, Millis(3000));
  CHECK(tcp[0]);   // granted
  CHECK(!tcp[1]);  // not granted: dropped, not even refused
  CHECK(on_alpha.tcp_accepted(8080) == 1);
  CHECK(on_alpha.tcp_accepted(8081) == 0);
  CHECK(!udp_echo(p.b.ns(), p.a.address(), 9001, "unsolicited", Millis(1000)));
  CHECK(on_alpha.udp_seen("unsolicited") == 0);
  CHECK(tcp_echo(p.b.ns(), p.a.address(), 8080, 256 * 1024));

  // Flows alpha opens: their replies pass alpha's filter.
  CHECK(tcp_echo(p.a.ns(), p.b.address(), 9000, 256 * 1024));
  CHECK(udp_echo(p.a.ns(), p.b.address(), 9001, "alpha asks"));
  CHECK(on_beta.udp_seen("alpha asks") == 1);
  CHECK(ping(p.a.ns(), p.b.address(), 3, 0.05) == 3);

  // Still nothing unsolicited from beta.
  CHECK(!udp_echo(p.b.ns(), p.a.address(), 9001, "unsolicited again", Millis(1000)));
  CHECK(on_alpha.udp_seen("unsolicited again") == 0);
  CHECK(tcp_reach(p.b.ns(), p.a.address(), {8081}, Millis(1500)) == std::vector<bool>{false});
  CHECK(p.a.alive());
}
#endif
