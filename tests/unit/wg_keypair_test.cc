// Transport sessions: seal/open, replay and forgery, expiry, message limits,
// and the previous/current/next rotation with key confirmation.
#include <doctest/doctest.h>

#include "runtime/wg/keypair.h"
#include "tests/unit/wg_test_util.h"

namespace aclc::wg {
namespace {

using namespace std::chrono_literals;

SessionKeys keys(bool initiator, uint32_t local, uint32_t remote) {
  SessionKeys k;
  k.send = test::secret_filled<32>(initiator ? 1 : 2);
  k.receive = test::secret_filled<32>(initiator ? 2 : 1);
  k.local_index = local;
  k.remote_index = remote;
  k.initiator = initiator;
  return k;
}

struct Link {
  Keypair a{keys(true, 10, 20), Instant(0)};
  Keypair b{keys(false, 20, 10), Instant(0)};
  std::vector<uint8_t> send(Keypair& from, std::vector<uint8_t> payload, Instant now = Instant(0)) {
    std::vector<uint8_t> wire(32 + payload.size());
    auto n = from.seal(payload, now, wire.data());
    if (!n) return {};
    wire.resize(*n);
    return wire;
  }
};

TEST_CASE("wg keypair: seal and open both ways") {
  Link l;
  std::vector<uint8_t> p(32, 0x5a), out(64);
  auto w = l.send(l.a, p);
  REQUIRE(w.size() == 64);
  CHECK(l.b.open(w, Instant(0), out.data()) == 32u);
  CHECK(std::equal(p.begin(), p.end(), out.begin()));
  auto back = l.send(l.b, {});
  CHECK(l.a.open(back, Instant(0), out.data()) == 0u);
  // Addressed to the other index.
  CHECK_FALSE(l.a.open(w, Instant(0), out.data()));
}

TEST_CASE("wg keypair: replayed, forged and truncated packets are dropped") {
  Link l;
  std::vector<uint8_t> out(64);
  auto w0 = l.send(l.a, std::vector<uint8_t>(16, 1));
  auto w1 = l.send(l.a, std::vector<uint8_t>(16, 2));
  CHECK(l.b.open(w1, Instant(0), out.data()));
  CHECK_FALSE(l.b.open(w1, Instant(0), out.data()));  // replay
  CHECK(l.b.open(w0, Instant(0), out.data()));        // reordered, in window
  for (size_t i = 0; i < w0.size(); ++i) {
    auto bad = w1;
    bad[i] ^= 1;
    CHECK_FALSE(l.b.open(bad, Instant(0), out.data()));
  }
  CHECK_FALSE(l.b.open(std::span(w1).first(31), Instant(0), out.data()));
  // A forged packet with a huge counter must not slide the window.
  auto w2 = l.send(l.a, std::vector<uint8_t>(16, 3));
  auto forged = w2;
  for (int i = 8; i < 16; ++i) forged[i] = 0xf0;
  CHECK_FALSE(l.b.open(forged, Instant(0), out.data()));
  CHECK(l.b.open(w2, Instant(0), out.data()));
}

TEST_CASE("wg keypair: sessions expire after REJECT_AFTER_TIME") {
  Link l;
  std::vector<uint8_t> out(64);
  auto w = l.send(l.a, {}, 179s);
  REQUIRE_FALSE(w.empty());
  CHECK_FALSE(l.b.open(w, 180s, out.data()));
  CHECK(l.send(l.a, {}, 180s).empty());
  CHECK(l.b.open(w, 179s, out.data()));
}

TEST_CASE("wg keypair: rekey and reject after messages and time") {
  Link l;
  CHECK_FALSE(l.a.needs_rekey(119s));
  CHECK(l.a.needs_rekey(120s));
  CHECK_FALSE(l.b.needs_rekey(150s));  // only the initiator rekeys on send
  l.a.set_next_send_counter_for_test(kRekeyAfterMessages + 1);
  CHECK(l.a.needs_rekey(Instant(0)));
  l.a.set_next_send_counter_for_test(kRejectAfterMessages - 1);
  auto last = l.send(l.a, {});
  CHECK_FALSE(last.empty());
  CHECK(l.send(l.a, {}).empty());  // counter exhausted: nothing sent
  CHECK(l.a.next_send_counter() == kRejectAfterMessages);
  // The receiver accepts the last valid counter.
  std::vector<uint8_t> out(16);
  CHECK(l.b.open(last, Instant(0), out.data()));
}

TEST_CASE("wg keypair: rotation and key confirmation") {
  KeypairSet set;
  // Responder side: the new session waits in next until confirmed.
  auto r1 = std::make_unique<Keypair>(keys(false, 1, 100), Instant(0));
  Keypair* r1p = r1.get();
  set.install(std::move(r1));
  CHECK(set.current() == nullptr);
  CHECK(set.next() == r1p);
  CHECK(set.find(1) == r1p);
  CHECK_FALSE(set.confirm(nullptr));
  CHECK(set.confirm(r1p));
  CHECK(set.current() == r1p);
  CHECK(set.next() == nullptr);
  CHECK_FALSE(set.confirm(r1p));  // already current

  // Initiator side: current at once, old current becomes previous.
  auto i2 = std::make_unique<Keypair>(keys(true, 2, 200), Instant(0));
  Keypair* i2p = i2.get();
  set.install(std::move(i2));
  CHECK(set.current() == i2p);
  CHECK(set.previous() == r1p);

  // A responder session replaces next and drops previous.
  set.install(std::make_unique<Keypair>(keys(false, 3, 300), Instant(0)));
  CHECK(set.previous() == nullptr);
  CHECK(set.current() == i2p);
  REQUIRE(set.next() != nullptr);
  // An initiator session while next is unconfirmed: next becomes previous.
  Keypair* n3 = set.next();
  set.install(std::make_unique<Keypair>(keys(true, 4, 400), Instant(0)));
  CHECK(set.previous() == n3);
  CHECK(set.next() == nullptr);
  CHECK(set.current()->local_index() == 4);
  CHECK(set.find(2) == nullptr);  // the old current is gone
  set.clear();
  CHECK(set.find(4) == nullptr);
  CHECK(set.find(3) == nullptr);
}

}  // namespace
}  // namespace aclc::wg
