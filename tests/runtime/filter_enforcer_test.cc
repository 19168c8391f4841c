// The enforcer end to end on raw packets: fail closed without a policy, the
// table's verdicts for new flows, replies to flows the node opened, ICMP
// echo and errors, timeouts on a fake clock, the capacity bound under a
// flood, policy swaps re-validating remote-opened flows, counters and the
// decision log.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "runtime/filter/enforcer.h"
#include "tests/runtime/filter_test_packets.h"

using namespace aclc;
using namespace aclc::runtime::filter;
using namespace aclc::runtime::filter::testing;
using namespace std::chrono_literals;
using aclc::wg::Instant;

namespace {

const uint32_t kSelf = v4(100, 64, 0, 1);
const uint32_t kAdmin = v4(100, 64, 0, 10);  // may reach 22 and 443
const uint32_t kWeb = v4(100, 64, 0, 15);    // may reach 443 and 53/udp
const uint32_t kTunnel = v4(100, 64, 0, 30); // may send GRE
const uint32_t kStranger = v4(100, 64, 0, 50);  // no rule at all
const u128 kSelf6 = v6(1);
const u128 kAdmin6 = v6(10);
const u128 kStranger6 = v6(50);

// node's table: tcp 22 from admin; tcp 443 from .10-.20; udp 53 from
// .10-.20; gre from .30; IPv6: tcp 22 from ::10.
std::shared_ptr<bundle::Bundle> policy(bool allow_ssh = true) {
  auto b = std::make_shared<bundle::Bundle>();
  b->device = "node";
  b->addresses = {host4(kSelf), host6(kSelf6)};
  bundle::Zone z;
  z.dsts.v4 = {{kSelf, kSelf}};
  z.dsts.v6 = {{kSelf6, kSelf6}};
  bundle::ProtoClass tcp_class{{kProtoTcp}, {}};
  if (allow_ssh) {
    bundle::Cell ssh = cell4(22, 22, {{kAdmin, kAdmin}});
    ssh.sources.v6 = {{kAdmin6, kAdmin6}};
    tcp_class.cells.push_back(ssh);
  }
  tcp_class.cells.push_back(cell4(443, 443, {{kAdmin, v4(100, 64, 0, 20)}}));
  bundle::ProtoClass udp_class{{kProtoUdp}, {cell4(53, 53, {{kAdmin, v4(100, 64, 0, 20)}})}};
  bundle::ProtoClass gre_class{{47}, {cell4(0, 0, {{kTunnel, kTunnel}})}};
  z.classes = {tcp_class, udp_class, gre_class};
  b->filter = {z};
  std::string error;
  REQUIRE_MESSAGE(bundle::encode(*b, error).has_value(), error);
  return b;
}

std::shared_ptr<bundle::Bundle> empty_policy() {
  auto b = std::make_shared<bundle::Bundle>();
  b->device = "node";
  b->addresses = {host4(kSelf), host6(kSelf6)};
  return b;
}

Bytes tcp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags) {
  return ipv4(src, dst, kProtoTcp, tcp(sport, dport, flags));
}
Bytes udp4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
  return ipv4(src, dst, kProtoUdp, udp(sport, dport));
}

Instant T(std::chrono::nanoseconds d) { return Instant(1000s) + d; }

}  // namespace

TEST_CASE("filter enforcer: with no policy nothing passes inbound") {
  Enforcer f;
  CHECK(f.installed() == nullptr);
  Verdict v = f.inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpSyn), T(0s));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == Reason::kNoPolicy);
  // Not even replies to the node's own flows.
  CHECK(f.admit_outbound(udp4(kSelf, kStranger, 40000, 53), T(0s)));
  CHECK_FALSE(f.admit_inbound(udp4(kStranger, kSelf, 53, 40000), T(1s)));
  // Removing a policy restores that state.
  f.install(policy());
  CHECK(f.admit_inbound(udp4(kStranger, kSelf, 53, 40000), T(2s)));
  f.install(nullptr);
  CHECK(f.installed() == nullptr);
  CHECK(f.inbound(udp4(kStranger, kSelf, 53, 40000), T(3s)).reason == Reason::kNoPolicy);
  CHECK(f.inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpSyn), T(3s)).reason == Reason::kNoPolicy);
  CHECK_FALSE(f.admit_inbound(Bytes{0x45, 0}, T(3s)));
}

TEST_CASE("filter enforcer: new flows follow the table") {
  Enforcer f;
  f.install(policy());
  CHECK(f.installed()->device == "node");
  Verdict v = f.inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpSyn), T(0s));
  CHECK(v.pass);
  CHECK(v.reason == Reason::kRule);
  CHECK(v.cell == 0);
  // Unsolicited inbound to a port the table does not open: dropped, with or
  // without SYN (TCP is tracked, not stateless).
  CHECK(f.inbound(tcp4(kAdmin, kSelf, 1001, 23, kTcpSyn), T(0s)).reason == Reason::kNoRule);
  CHECK(f.inbound(tcp4(kAdmin, kSelf, 1001, 23, kTcpAck), T(0s)).reason == Reason::kNoRule);
  CHECK(f.inbound(tcp4(kWeb, kSelf, 1002, 22, kTcpSyn), T(0s)).reason == Reason::kNoRule);
  CHECK(f.inbound(tcp4(kWeb, kSelf, 1002, 443, kTcpSyn), T(0s)).pass);
  CHECK(f.inbound(udp4(kWeb, kSelf, 1003, 53), T(0s)).pass);
  CHECK_FALSE(f.inbound(udp4(kWeb, kSelf, 1003, 54), T(0s)).pass);
  CHECK_FALSE(f.inbound(udp4(kStranger, kSelf, 1003, 53), T(0s)).pass);
  // Protocols without ports use port 0.
  CHECK(f.inbound(ipv4(kTunnel, kSelf, 47, Bytes(8, 0)), T(0s)).pass);
  CHECK(f.inbound(ipv4(kAdmin, kSelf, 47, Bytes(8, 0)), T(0s)).reason == Reason::kNoRule);
  // IPv6.
  CHECK(f.inbound(ipv6(kAdmin6, kSelf6, kProtoTcp, tcp(5, 22, kTcpSyn)), T(0s)).pass);
  CHECK_FALSE(f.inbound(ipv6(kStranger6, kSelf6, kProtoTcp, tcp(5, 22, kTcpSyn)), T(0s)).pass);
  // The admitted flow continues as tracked.
  v = f.inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpAck), T(1s));
  CHECK(v.pass);
  CHECK(v.reason == Reason::kTracked);
  CHECK(f.admit_outbound(tcp4(kSelf, kAdmin, 22, 1000, kTcpAck), T(1s)));
}

TEST_CASE("filter enforcer: destinations that are not the node's") {
  Enforcer f;
  f.install(policy());
  CHECK(f.inbound(tcp4(kAdmin, v4(100, 64, 0, 2), 1000, 22, kTcpSyn), T(0s)).reason ==
        Reason::kNotLocal);
  CHECK(f.inbound(udp4(kAdmin, v4(224, 0, 0, 251), 5353, 5353), T(0s)).reason ==
        Reason::kMulticast);
  CHECK(f.inbound(udp4(kAdmin, 0xffffffffu, 67, 68), T(0s)).reason == Reason::kMulticast);
  CHECK(f.inbound(ipv6(kAdmin6, u128(0xff02) << 112 | 1, kProtoUdp, udp(1, 2)), T(0s)).reason ==
        Reason::kMulticast);
  CHECK(f.inbound(Bytes{0x45, 0, 0}, T(0s)).reason == Reason::kMalformed);
}

TEST_CASE("filter enforcer: table verdicts for new flows equal Bundle::allows") {
  Enforcer f;
  auto b = policy();
  f.install(b);
  std::mt19937_64 rng(3);
  int passed = 0;
  for (int i = 0; i < 5000; ++i) {
    uint32_t src = v4(100, 64, 0, uint8_t(rng() % 40));
    uint16_t port = uint16_t(rng() % 3 == 0 ? rng() % 600 : (rng() % 2 ? 22 : 443));
    uint8_t proto = rng() % 2 ? kProtoTcp : kProtoUdp;
    uint16_t sport = uint16_t(10000 + i);  // a new flow every time
    Bytes pkt = proto == kProtoTcp ? tcp4(src, kSelf, sport, port, kTcpSyn)
                                   : udp4(src, kSelf, sport, port);
    bool want = b->allows(4, src, kSelf, proto, port);
    CHECK(f.admit_inbound(pkt, T(0s)) == want);
    passed += want;
  }
  CHECK(passed > 100);
}

TEST_CASE("filter enforcer: replies to flows the node opened pass, nothing else does") {
  Enforcer f;
  f.install(policy());
  // UDP out to a stranger that has no rule towards the node.
  CHECK(f.admit_outbound(udp4(kSelf, kStranger, 40000, 5000), T(0s)));
  Verdict v = f.inbound(udp4(kStranger, kSelf, 5000, 40000), T(1s));
  CHECK(v.pass);
  CHECK(v.reason == Reason::kTracked);
  CHECK_FALSE(f.admit_inbound(udp4(kStranger, kSelf, 5001, 40000), T(1s)));  // other port
  CHECK_FALSE(f.admit_inbound(udp4(kStranger, kSelf, 5000, 40001), T(1s)));
  CHECK_FALSE(f.admit_inbound(udp4(kWeb, kSelf, 5000, 40000), T(1s)));  // other peer

  // TCP: the handshake and the stream come back.
  CHECK(f.admit_outbound(tcp4(kSelf, kStranger, 40001, 80, kTcpSyn), T(0s)));
  CHECK(f.admit_inbound(tcp4(kStranger, kSelf, 80, 40001, kTcpSyn | kTcpAck), T(1s)));
  CHECK(f.admit_outbound(tcp4(kSelf, kStranger, 40001, 80, kTcpAck), T(1s)));
  CHECK(f.admit_inbound(tcp4(kStranger, kSelf, 80, 40001, kTcpAck), T(2s)));
  // The remote side cannot open a new connection on that tuple.
  CHECK(f.inbound(tcp4(kStranger, kSelf, 80, 40001, kTcpSyn), T(3s)).reason == Reason::kNoRule);

  // ICMP echo: the reply to the node's request, not another identifier, and
  // not a request from the other side with the same identifier.
  CHECK(f.admit_outbound(ipv4(kSelf, kStranger, kProtoIcmp, icmp(8, 0, 7, 1)), T(0s)));
  CHECK(f.inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(0, 0, 7, 1)), T(1s)).reason ==
        Reason::kTracked);
  CHECK(f.inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(0, 0, 8, 1)), T(1s)).reason ==
        Reason::kIcmpUnrelated);
  CHECK(f.inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(8, 0, 7, 1)), T(1s)).reason ==
        Reason::kNoRule);
  // IPv6 echo.
  CHECK(f.admit_outbound(ipv6(kSelf6, kStranger6, kProtoIcmpV6, icmp(128, 0, 9)), T(0s)));
  CHECK(f.admit_inbound(ipv6(kStranger6, kSelf6, kProtoIcmpV6, icmp(129, 0, 9)), T(1s)));
}

TEST_CASE("filter enforcer: ICMP echo requests as Tailscale: any rule from src to dst") {
  Enforcer f;
  f.install(policy());
  Verdict v = f.inbound(ipv4(kAdmin, kSelf, kProtoIcmp, icmp(8, 0, 1)), T(0s));
  CHECK(v.pass);
  CHECK(v.reason == Reason::kEcho);
  CHECK(f.inbound(ipv4(kTunnel, kSelf, kProtoIcmp, icmp(8, 0, 1)), T(0s)).pass);  // via GRE rule
  CHECK_FALSE(f.inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(8, 0, 1)), T(0s)).pass);
  CHECK(f.inbound(ipv6(kAdmin6, kSelf6, kProtoIcmpV6, icmp(128, 0, 1)), T(0s)).pass);
  // The node's reply goes out and the next request is tracked.
  CHECK(f.admit_outbound(ipv4(kSelf, kAdmin, kProtoIcmp, icmp(0, 0, 1)), T(0s)));
  CHECK(f.inbound(ipv4(kAdmin, kSelf, kProtoIcmp, icmp(8, 0, 1, 2)), T(1s)).reason ==
        Reason::kTracked);
  // Other ICMP messages are judged on port 0 of their protocol: none here.
  CHECK_FALSE(f.inbound(ipv4(kAdmin, kSelf, kProtoIcmp, icmp(13, 0)), T(0s)).pass);
  // An echo reply the node sends unasked does not open anything.
  CHECK(f.admit_outbound(ipv4(kSelf, kStranger, kProtoIcmp, icmp(0, 0, 5)), T(0s)));
  CHECK_FALSE(f.inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(8, 0, 5)), T(1s)).pass);
}

TEST_CASE("filter enforcer: ICMP errors about tracked flows pass, others drop") {
  Enforcer f;
  f.install(policy());
  CHECK(f.admit_outbound(udp4(kSelf, kStranger, 40000, 5000), T(0s)));
  Bytes quoted = udp4(kSelf, kStranger, 40000, 5000);
  Verdict v = f.inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(3, 3, 0, 0, quoted)), T(1s));
  CHECK(v.pass);
  CHECK(v.reason == Reason::kRelated);
  // From a router on the way: still related.
  CHECK(f.admit_inbound(ipv4(v4(100, 64, 0, 99), kSelf, kProtoIcmp, icmp(11, 0, 0, 0, quoted)), T(1s)));
  // About a flow nobody opened.
  Bytes other = udp4(kSelf, kStranger, 40000, 5001);
  CHECK(f.inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(3, 3, 0, 0, other)), T(1s)).reason ==
        Reason::kIcmpUnrelated);
  // Quoting a packet the node did not send (its source is not the error's destination).
  Bytes forged = udp4(kStranger, kSelf, 5000, 40000);
  CHECK_FALSE(f.admit_inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(3, 3, 0, 0, forged)), T(1s)));
  // With no quote at all.
  CHECK_FALSE(f.admit_inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(3, 3)), T(1s)));
  // TCP and echo, IPv4 and IPv6.
  CHECK(f.admit_outbound(ipv6(kSelf6, kStranger6, kProtoTcp, tcp(40000, 443, kTcpSyn)), T(0s)));
  Bytes q6 = ipv6(kSelf6, kStranger6, kProtoTcp, tcp(40000, 443, kTcpSyn));
  CHECK(f.admit_inbound(ipv6(kStranger6, kSelf6, kProtoIcmpV6, icmp(1, 4, 0, 0, q6)), T(1s)));
  Bytes q6other = ipv6(kSelf6, kStranger6, kProtoTcp, tcp(40000, 444, kTcpSyn));
  CHECK_FALSE(f.admit_inbound(ipv6(kStranger6, kSelf6, kProtoIcmpV6, icmp(2, 0, 0, 1280, q6other)), T(1s)));
  CHECK(f.admit_outbound(ipv4(kSelf, kStranger, kProtoIcmp, icmp(8, 0, 3)), T(0s)));
  Bytes qecho = ipv4(kSelf, kStranger, kProtoIcmp, icmp(8, 0, 3));
  CHECK(f.admit_inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(11, 0, 0, 0, qecho)), T(1s)));
  // Errors about inbound flows the table admitted (the node's replies bounced).
  CHECK(f.admit_inbound(udp4(kWeb, kSelf, 3333, 53), T(0s)));
  Bytes qreply = udp4(kSelf, kWeb, 53, 3333);
  CHECK(f.admit_inbound(ipv4(kWeb, kSelf, kProtoIcmp, icmp(3, 3, 0, 0, qreply)), T(1s)));
}

TEST_CASE("filter enforcer: tracked flows expire on the fake clock") {
  Enforcer f;
  f.install(policy());
  CHECK(f.admit_outbound(udp4(kSelf, kStranger, 40000, 5000), T(0s)));
  CHECK(f.admit_inbound(udp4(kStranger, kSelf, 5000, 40000), T(179s)));   // refreshes
  CHECK(f.admit_inbound(udp4(kStranger, kSelf, 5000, 40000), T(358s)));
  CHECK_FALSE(f.admit_inbound(udp4(kStranger, kSelf, 5000, 40000), T(538s)));

  CHECK(f.admit_outbound(ipv4(kSelf, kStranger, kProtoIcmp, icmp(8, 0, 1)), T(0s)));
  CHECK_FALSE(f.admit_inbound(ipv4(kStranger, kSelf, kProtoIcmp, icmp(0, 0, 1)), T(31s)));

  CHECK(f.admit_outbound(tcp4(kSelf, kStranger, 40001, 80, kTcpSyn), T(0s)));
  CHECK(f.admit_inbound(tcp4(kStranger, kSelf, 80, 40001, kTcpSyn | kTcpAck), T(1s)));
  CHECK(f.admit_inbound(tcp4(kStranger, kSelf, 80, 40001, kTcpAck), T(1s + 11min)));
  CHECK_FALSE(f.admit_inbound(tcp4(kStranger, kSelf, 80, 40001, kTcpAck), T(2s + 23min)));

  // A SYN nobody answers is forgotten after 60 s.
  CHECK(f.admit_outbound(tcp4(kSelf, kStranger, 40002, 80, kTcpSyn), T(0s)));
  CHECK_FALSE(f.admit_inbound(tcp4(kStranger, kSelf, 80, 40002, kTcpSyn | kTcpAck), T(61s)));
}

TEST_CASE("filter enforcer: a flood of new flows stays within the table's capacity") {
  EnforcerConfig cfg;
  cfg.conntrack.capacity = 256;
  Enforcer f(cfg);
  f.install(policy());
  CHECK(f.admit_outbound(tcp4(kSelf, kStranger, 40000, 80, kTcpSyn), T(0s)));
  CHECK(f.admit_inbound(tcp4(kStranger, kSelf, 80, 40000, kTcpSyn | kTcpAck), T(0s)));
  for (uint32_t i = 0; i < 20000; ++i) {
    // Admitted flows from many source ports, as a flooding peer would send.
    CHECK(f.admit_inbound(udp4(kWeb, kSelf, uint16_t(1024 + i), 53), T(1s)));
    if (i % 64 == 0) {
      CHECK(f.admit_outbound(tcp4(kSelf, kStranger, 40000, 80, kTcpAck), T(1s)));  // keeps it recent
    }
  }
  FilterStats s = f.stats();
  CHECK(s.tracked <= 256);
  CHECK(s.capacity == 256);
  CHECK(s.evictions >= 20000 - 256);
  // The active flow survived the flood.
  CHECK(f.inbound(tcp4(kStranger, kSelf, 80, 40000, kTcpAck), T(2s)).reason == Reason::kTracked);
}

TEST_CASE("filter enforcer: a new policy re-validates flows the remote side opened") {
  Enforcer f;
  f.install(policy(true));
  // Admin has an SSH session to the node; the node has a flow out to a stranger.
  CHECK(f.admit_inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpSyn), T(0s)));
  CHECK(f.admit_outbound(tcp4(kSelf, kAdmin, 22, 1000, kTcpSyn | kTcpAck), T(0s)));
  CHECK(f.admit_inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpAck), T(0s)));
  CHECK(f.admit_inbound(tcp4(kWeb, kSelf, 2000, 443, kTcpSyn), T(0s)));
  CHECK(f.admit_outbound(udp4(kSelf, kStranger, 40000, 5000), T(0s)));
  uint64_t gen = f.stats().generation;

  // The new table no longer allows SSH.
  f.install(policy(false));
  CHECK(f.stats().generation == gen + 1);
  Verdict v = f.inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpAck), T(1s));
  CHECK_FALSE(v.pass);
  CHECK(v.reason == Reason::kRevoked);
  // The host's own segments do not revive it.
  CHECK(f.admit_outbound(tcp4(kSelf, kAdmin, 22, 1000, kTcpAck), T(1s)));
  CHECK(f.inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpAck), T(2s)).reason == Reason::kRevoked);
  // Still-allowed remote flows and the node's own flows carry on.
  CHECK(f.inbound(tcp4(kWeb, kSelf, 2000, 443, kTcpAck), T(1s)).reason == Reason::kTracked);
  CHECK(f.inbound(udp4(kStranger, kSelf, 5000, 40000), T(1s)).reason == Reason::kTracked);

  // A table that allows nothing: only the node's own flows remain.
  f.install(empty_policy());
  CHECK_FALSE(f.admit_inbound(tcp4(kWeb, kSelf, 2000, 443, kTcpAck), T(3s)));
  CHECK(f.admit_inbound(udp4(kStranger, kSelf, 5000, 40000), T(3s)));
  CHECK(f.inbound(ipv4(kAdmin, kSelf, kProtoIcmp, icmp(8, 0, 1)), T(3s)).reason == Reason::kNoRule);

  // SSH allowed again: the same session passes once more.
  f.install(policy(true));
  CHECK(f.inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpAck), T(4s)).reason == Reason::kTracked);
}

TEST_CASE("filter enforcer: later fragments to the node pass, elsewhere drop") {
  Enforcer f;
  f.install(policy());
  Bytes later = ipv4(kStranger, kSelf, kProtoUdp, Bytes(64, 0), {{}, 100, false});
  CHECK(f.inbound(later, T(0s)).reason == Reason::kFragment);
  Bytes astray = ipv4(kStranger, v4(100, 64, 0, 2), kProtoUdp, Bytes(64, 0), {{}, 100, false});
  CHECK(f.inbound(astray, T(0s)).reason == Reason::kNotLocal);
  // A first fragment is judged like any packet.
  Bytes first = ipv4(kStranger, kSelf, kProtoUdp, udp(1, 53, 32), {{}, 0, true});
  CHECK(f.inbound(first, T(0s)).reason == Reason::kNoRule);
  CHECK(f.admit_outbound(later, T(0s)));
}

TEST_CASE("filter enforcer: counters by reason and by table cell") {
  Enforcer f;
  f.install(policy());
  f.admit_inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpSyn), T(0s));  // cell 0
  f.admit_inbound(tcp4(kAdmin, kSelf, 1001, 22, kTcpSyn), T(0s));  // cell 0
  f.admit_inbound(tcp4(kAdmin, kSelf, 1000, 22, kTcpAck), T(0s));  // tracked
  f.admit_inbound(udp4(kWeb, kSelf, 1, 53), T(0s));               // cell 2
  f.admit_inbound(ipv4(kAdmin, kSelf, kProtoIcmp, icmp(8, 0, 1)), T(0s));  // echo
  f.admit_inbound(tcp4(kStranger, kSelf, 1, 22, kTcpSyn), T(0s));  // no-rule
  f.admit_inbound(Bytes(3, 0x45), T(0s));                          // malformed
  f.admit_outbound(udp4(kSelf, kStranger, 1, 2), T(0s));
  f.admit_outbound(Bytes(1, 0x60), T(0s));
  FilterStats s = f.stats();
  CHECK(s.inbound[size_t(Reason::kRule)] == 3);
  CHECK(s.inbound[size_t(Reason::kTracked)] == 1);
  CHECK(s.inbound[size_t(Reason::kEcho)] == 1);
  CHECK(s.inbound[size_t(Reason::kNoRule)] == 1);
  CHECK(s.inbound[size_t(Reason::kMalformed)] == 1);
  CHECK(s.outbound[size_t(Reason::kOutbound)] == 1);
  CHECK(s.outbound[size_t(Reason::kMalformed)] == 1);
  REQUIRE(s.cells.size() == 5);  // ssh, https, dns, gre, echo slot
  CHECK(s.cells[0].hits == 2);
  CHECK(s.cells[0].port_first == 22);
  CHECK(s.cells[0].protos == std::vector<uint8_t>{kProtoTcp});
  CHECK(s.cells[1].hits == 0);
  CHECK(s.cells[2].hits == 1);
  CHECK(s.cells[2].klass == 1);
  CHECK(s.cells[4].echo);
  CHECK(s.cells[4].hits == 1);
  CHECK(s.tracked == 5);  // two ssh, dns, echo, outbound udp
  CHECK(std::string(reason_name(Reason::kNoRule)) == "no-rule");
  // A new table restarts the per-cell counts, not the reason counts.
  f.install(policy());
  s = f.stats();
  CHECK(s.cells[0].hits == 0);
  CHECK(s.inbound[size_t(Reason::kRule)] == 3);
}

TEST_CASE("filter enforcer: drops reach the decision log") {
  int fds[2];
  REQUIRE(pipe2(fds, O_NONBLOCK) == 0);
  DecisionLogConfig lc;
  lc.fd = fds[1];
  DecisionLog log(lc);
  EnforcerConfig cfg;
  cfg.log = &log;
  Enforcer f(cfg);
  f.install(policy());
  f.admit_inbound(tcp4(kStranger, kSelf, 4242, 22, kTcpSyn), T(0s));
  f.admit_inbound(tcp4(kAdmin, kSelf, 4242, 22, kTcpSyn), T(0s));  // passes: not logged
  char buf[1024];
  ssize_t n = read(fds[0], buf, sizeof buf);
  REQUIRE(n > 0);
  std::string text(buf, size_t(n));
  CHECK(text.find("\"verdict\":\"drop\"") != std::string::npos);
  CHECK(text.find("\"reason\":\"no-rule\"") != std::string::npos);
  CHECK(text.find("\"src\":\"100.64.0.50\",\"sport\":4242") != std::string::npos);
  CHECK(text.find('\n') == text.size() - 1);  // exactly one line
  CHECK(log.lines_written() == 1);
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("filter enforcer: interleaved flows keep their own verdicts") {
  // The connection table remembers the flow it found last: packets of a
  // tracked flow and of an untracked one, interleaved, and a flow revoked
  // by a new table, must each keep their verdict.
  EnforcerConfig cfg;
  cfg.conntrack.capacity = 8;
  Enforcer f(cfg);
  f.install(policy());
  REQUIRE(f.admit_outbound(udp4(kSelf, kStranger, 4000, 53), T(0s)));  // tracked: replies pass
  for (int i = 0; i < 50; ++i) {
    CHECK(f.admit_inbound(udp4(kStranger, kSelf, 53, 4000), T(1s)));
    CHECK_FALSE(f.admit_inbound(udp4(kStranger, kSelf, 53, 4001), T(1s)));  // not tracked, no rule
    CHECK_FALSE(f.admit_inbound(udp4(kStranger, kSelf, 54, 4000), T(1s)));
  }
  FilterStats s = f.stats();
  CHECK(s.inbound[size_t(Reason::kTracked)] == 50);
  CHECK(s.inbound[size_t(Reason::kNoRule)] == 100);
  CHECK(s.tracked == 1);
}
