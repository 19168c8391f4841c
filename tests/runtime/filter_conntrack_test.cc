// The connection table: lookups in both orientations, timeouts per state on
// a fake clock, the capacity bound under a flood, LRU eviction, and the
// open-addressing table against a model under random inserts and erases.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <tuple>

#include "runtime/filter/conntrack.h"

using namespace aclc::runtime::filter;
using namespace std::chrono_literals;
using aclc::wg::Instant;

namespace {

ConnKey key(uint32_t n, uint8_t proto = kProtoUdp) {
  return ConnKey{0x64400001, 0x64400000u + n, uint16_t(40000 + n % 1000), 53, proto, 4};
}

}  // namespace

TEST_CASE("filter conntrack: both directions of a flow find one entry") {
  Conntrack ct;
  FlowKey out{1, 2, 1000, 53, kProtoUdp, 4};
  FlowKey reply{2, 1, 53, 1000, kProtoUdp, 4};
  CHECK(outbound_key(out) == inbound_key(reply));
  Conn* c = ct.insert(outbound_key(out), Opener::kLocal, 1, Instant(0));
  CHECK(ct.find(inbound_key(reply), Instant(1s)) == c);
  FlowKey other{2, 1, 53, 1001, kProtoUdp, 4};
  CHECK(ct.find(inbound_key(other), Instant(1s)) == nullptr);
  FlowKey tcp_reply{2, 1, 53, 1000, kProtoTcp, 4};
  CHECK(ct.find(inbound_key(tcp_reply), Instant(1s)) == nullptr);
}

TEST_CASE("filter conntrack: timeouts per protocol and TCP state") {
  ConntrackConfig cfg;
  Conntrack ct(cfg);
  Instant t0(1000s);

  // UDP: 3 minutes of idleness, refreshed by traffic.
  Conn* u = ct.insert(key(1), Opener::kLocal, 1, t0);
  ct.observe(u, true, 0, t0);
  CHECK(ct.find(key(1), t0 + 179s) != nullptr);
  ct.observe(ct.find(key(1), t0 + 179s), false, 0, t0 + 179s);
  CHECK(ct.find(key(1), t0 + 179s + 179s) != nullptr);
  CHECK(ct.find(key(1), t0 + 179s + 180s) == nullptr);
  CHECK(ct.size() == 0);  // the expired entry was removed on lookup

  // ICMP echo: 30 s.
  Conn* e = ct.insert(key(2, kProtoIcmp), Opener::kLocal, 1, t0);
  ct.observe(e, true, 0, t0);
  CHECK(ct.find(key(2, kProtoIcmp), t0 + 29s) != nullptr);
  CHECK(ct.find(key(2, kProtoIcmp), t0 + 30s) == nullptr);

  // TCP: SYN only 60 s; once answered 12 min; after FIN 30 s.
  Conn* t = ct.insert(key(3, kProtoTcp), Opener::kLocal, 1, t0);
  ct.observe(t, true, kTcpSyn, t0);
  CHECK(t->tcp == TcpState::kOpening);
  CHECK(ct.find(key(3, kProtoTcp), t0 + 59s) != nullptr);
  CHECK(ct.find(key(3, kProtoTcp), t0 + 60s) == nullptr);

  t = ct.insert(key(4, kProtoTcp), Opener::kLocal, 1, t0);
  ct.observe(t, true, kTcpSyn, t0);
  ct.observe(t, true, kTcpSyn, t0 + 1s);  // a retransmitted SYN does not establish
  CHECK(t->tcp == TcpState::kOpening);
  ct.observe(t, false, kTcpSyn | kTcpAck, t0 + 1s);
  CHECK(t->tcp == TcpState::kEstablished);
  CHECK(ct.find(key(4, kProtoTcp), t0 + 1s + 11min) != nullptr);
  ct.observe(t, true, kTcpAck | kTcpFin, t0 + 2s);
  CHECK(t->tcp == TcpState::kClosing);
  CHECK(ct.find(key(4, kProtoTcp), t0 + 31s) != nullptr);
  CHECK(ct.find(key(4, kProtoTcp), t0 + 32s) == nullptr);

  // An entry first seen mid-stream is established.
  t = ct.insert(key(5, kProtoTcp), Opener::kLocal, 1, t0);
  ct.observe(t, true, kTcpAck, t0);
  CHECK(t->tcp == TcpState::kEstablished);
  // A reset closes.
  ct.observe(t, false, kTcpRst, t0);
  CHECK(t->tcp == TcpState::kClosing);

  // GRE and the like: 3 minutes.
  Conn* g = ct.insert(key(6, 47), Opener::kLocal, 1, t0);
  ct.observe(g, true, 0, t0);
  CHECK(ct.find(key(6, 47), t0 + 179s) != nullptr);
  CHECK(ct.find(key(6, 47), t0 + 180s) == nullptr);
}

TEST_CASE("filter conntrack: configured timeouts") {
  ConntrackConfig cfg;
  cfg.udp = 5s;
  Conntrack ct(cfg);
  Conn* u = ct.insert(key(1), Opener::kLocal, 1, Instant(0));
  ct.observe(u, true, 0, Instant(0));
  CHECK(ct.find(key(1), Instant(4s)) != nullptr);
  CHECK(ct.find(key(1), Instant(9s)) == nullptr);
}

TEST_CASE("filter conntrack: a flood of new flows never exceeds the capacity") {
  ConntrackConfig cfg;
  cfg.capacity = 1000;
  Conntrack ct(cfg);
  Instant now(0);
  // A long-lived flow, kept warm.
  ConnKey warm{0x0a000001, 0x0a000002, 443, 50000, kProtoTcp, 4};
  ct.observe(ct.insert(warm, Opener::kLocal, 1, now), true, kTcpAck, now);
  for (uint32_t i = 0; i < 100000; ++i) {
    now += 1ms;
    ConnKey k{0x64400001, 0x65000000u + i, uint16_t(i), 7, kProtoUdp, 4};
    ct.observe(ct.insert(k, Opener::kRemote, 1, now), false, 0, now);
    CHECK_MESSAGE(ct.size() <= 1000, i);
    if (i % 100 == 0) {
      Conn* w = ct.find(warm, now);
      REQUIRE(w != nullptr);  // recently used: never the LRU victim
      ct.observe(w, true, kTcpAck, now);
    }
  }
  CHECK(ct.size() == 1000);
  CHECK(ct.capacity() == 1000);
  CHECK(ct.evictions() > 90000);
  // The newest flows are present, the oldest gone.
  ConnKey newest{0x64400001, 0x65000000u + 99999, uint16_t(99999), 7, kProtoUdp, 4};
  ConnKey oldest{0x64400001, 0x65000000u, 0, 7, kProtoUdp, 4};
  CHECK(ct.find(newest, now) != nullptr);
  CHECK(ct.find(oldest, now) == nullptr);
}

TEST_CASE("filter conntrack: expired entries make room before live ones are evicted") {
  ConntrackConfig cfg;
  cfg.capacity = 4;
  Conntrack ct(cfg);
  for (uint32_t i = 0; i < 4; ++i) ct.observe(ct.insert(key(i), Opener::kLocal, 1, Instant(0)), true, 0, Instant(0));
  CHECK(ct.size() == 4);
  // All four expire at 180 s; the new insert reaps instead of evicting.
  ct.insert(key(10), Opener::kLocal, 1, Instant(200s));
  CHECK(ct.evictions() == 0);
  CHECK(ct.size() <= 3);
}

TEST_CASE("filter conntrack: random inserts, finds and erases agree with a model") {
  ConntrackConfig cfg;
  cfg.capacity = 64;  // 128 slots: long probe chains, many wrap-arounds
  cfg.hash_seed = 12345;
  Conntrack ct(cfg);
  std::map<uint32_t, bool> model;  // key id -> present
  std::mt19937_64 rng(1);
  Instant now(0);
  for (int step = 0; step < 200000; ++step) {
    uint32_t id = uint32_t(rng() % 100);
    ConnKey k = key(id);
    Conn* c = ct.find(k, now);
    bool present = model.count(id) != 0;
    REQUIRE((c != nullptr) == present);
    switch (rng() % 3) {
      case 0:
        if (!c && ct.size() < ct.capacity()) {  // stay below capacity: no evictions
          Conn* added = ct.insert(k, Opener::kLocal, 1, now);
          CHECK(added->key == k);
          model[id] = true;
        }
        break;
      case 1:
        if (c) {
          ct.erase(c);
          model.erase(id);
        }
        break;
      default:
        if (c) CHECK(c->key == k);
    }
    REQUIRE(ct.size() == model.size());
  }
  // Every remaining entry is reachable.
  size_t seen = 0;
  ct.for_each([&](Conn& c) {
    ++seen;
    CHECK(ct.find(c.key, now) == &c);
  });
  CHECK(seen == model.size());
}

TEST_CASE("filter conntrack: the entry found last is never confused with another") {
  ConntrackConfig cfg;
  cfg.capacity = 1;  // one node: every insert reuses it
  Conntrack ct(cfg);
  Instant now(0);
  ConnKey a = key(1), b = key(2);

  Conn* ca = ct.insert(a, Opener::kLocal, 1, now);
  REQUIRE(ct.find(a, now) == ca);  // now remembered
  ct.erase(ca);
  CHECK(ct.find(a, now) == nullptr);
  Conn* cb = ct.insert(b, Opener::kRemote, 1, now);  // the same node, another key
  CHECK(ct.find(a, now) == nullptr);
  REQUIRE(ct.find(b, now) == cb);
  CHECK(cb->opener == Opener::kRemote);

  // Evicted while remembered: gone, and its successor is found.
  Conn* ca2 = ct.insert(a, Opener::kLocal, 1, now);
  CHECK(ct.evictions() == 1);
  CHECK(ct.find(b, now) == nullptr);
  CHECK(ct.find(a, now) == ca2);

  // Expired while remembered: removed on the next find.
  CHECK(ct.find(a, now + 10min) == nullptr);
  CHECK(ct.size() == 0);
  CHECK(ct.find(a, now) == nullptr);
}

TEST_CASE("filter conntrack: runs of one flow among others agree with a model") {
  ConntrackConfig cfg;
  cfg.capacity = 32;
  cfg.hash_seed = 777;
  Conntrack ct(cfg);
  std::map<uint32_t, bool> model;
  std::mt19937_64 rng(2);
  Instant now(0);
  uint32_t id = 0;
  for (int step = 0; step < 100000; ++step) {
    if (rng() % 4 == 0) id = uint32_t(rng() % 40);  // mostly the same flow again
    ConnKey k = key(id);
    Conn* c = ct.find(k, now);
    REQUIRE((c != nullptr) == (model.count(id) != 0));
    if (c) REQUIRE(c->key == k);
    if (!c && ct.size() < ct.capacity() && rng() % 2 == 0) {
      ct.insert(k, Opener::kLocal, 1, now);
      model[id] = true;
    } else if (c && rng() % 8 == 0) {
      ct.erase(c);
      model.erase(id);
    }
  }
}
