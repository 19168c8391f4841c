// mac1 over a known message, cookie reply round trips, mac2 under load,
// cookie and secret expiry, and replies that must not be accepted.
#include <doctest/doctest.h>

#include "runtime/wg/blake2s_kdf.h"
#include "runtime/wg/cookie.h"
#include "tests/unit/wg_test_util.h"

namespace aclc::wg {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  LocalIdentity responder = LocalIdentity::from_private(test::secret_filled<32>(0x22));
  CookieChecker checker{responder.public_key};
  CookieGenerator generator{responder.public_key};
  std::vector<uint8_t> source = {10, 0, 0, 1, 0xca, 0x6c};  // 10.0.0.1:51820
  std::array<uint8_t, kInitiationSize> msg{};
  Fixture() {
    msg[0] = 1;
    msg[4] = 0x78, msg[5] = 0x56, msg[6] = 0x34, msg[7] = 0x12;
    for (size_t i = 8; i < kInitiationMac1Offset; ++i) msg[i] = uint8_t(i);
  }
};

TEST_CASE("wg cookie: mac1 is keyed by HASH(\"mac1----\" || receiver public key)") {
  Fixture f;
  REQUIRE(f.generator.add_macs(f.msg, Instant(0)));
  // Recompute independently from the primitives.
  uint8_t key[32], mac[16];
  const char label[] = "mac1----";
  blake2s_hash({Bytes(reinterpret_cast<const uint8_t*>(label), 8), f.responder.public_key}, key);
  blake2s_mac(Bytes(key, 32), {std::span(f.msg).first(kInitiationMac1Offset)}, mac);
  CHECK(test::hex(std::span(f.msg).subspan(kInitiationMac1Offset, 16)) == test::hex(mac));
  // Without a cookie, mac2 is zero.
  CHECK(test::hex(std::span(f.msg).subspan(kInitiationMac2Offset, 16)) == std::string(32, '0'));
  CHECK(f.checker.check_mac1(f.msg));
  // Any changed byte before mac1, or in mac1, fails.
  for (size_t i = 0; i < kInitiationMac2Offset; ++i) {
    auto bad = f.msg;
    bad[i] ^= 0x20;
    CHECK_FALSE(f.checker.check_mac1(bad));
  }
  // Another receiver's key fails; so do non-handshake lengths.
  CookieChecker other(LocalIdentity::from_private(test::secret_filled<32>(0x23)).public_key);
  CHECK_FALSE(other.check_mac1(f.msg));
  CHECK_FALSE(f.checker.check_mac1(std::span(f.msg).first(147)));
  std::vector<uint8_t> longer(f.msg.begin(), f.msg.end());
  longer.push_back(0);
  CHECK_FALSE(f.checker.check_mac1(longer));
}

TEST_CASE("wg cookie: under load, a cookie reply lets the next message pass mac2") {
  Fixture f;
  test::ScriptedRandom rng;
  f.generator.add_macs(f.msg, Instant(0));
  CHECK_FALSE(f.checker.check_mac2(f.msg, f.source, Instant(0)));  // no cookie yet

  auto reply = f.checker.make_reply(f.msg, f.source, Instant(0), rng.source());
  REQUIRE(reply);
  CHECK(reply->receiver == 0x12345678);  // the triggering message's sender
  CHECK(encode(*reply).size() == kCookieReplySize);
  REQUIRE(f.generator.consume_reply(*reply, 1s));

  // The retransmission carries mac2 and passes; from another source it does not.
  f.msg[20] ^= 1;  // a fresh initiation differs
  f.generator.add_macs(f.msg, 2s);
  CHECK(f.checker.check_mac1(f.msg));
  CHECK(f.checker.check_mac2(f.msg, f.source, 2s));
  std::vector<uint8_t> elsewhere = {10, 0, 0, 2, 0xca, 0x6c};
  CHECK_FALSE(f.checker.check_mac2(f.msg, elsewhere, 2s));
  auto bad = f.msg;
  bad[kInitiationMac2Offset] ^= 1;
  CHECK_FALSE(f.checker.check_mac2(bad, f.source, 2s));
}

TEST_CASE("wg cookie: responses carry mac2 too") {
  Fixture f;
  test::ScriptedRandom rng;
  std::array<uint8_t, kResponseSize> resp{};
  resp[0] = 2;
  f.generator.add_macs(resp, Instant(0));
  CHECK(f.checker.check_mac1(resp));
  auto reply = f.checker.make_reply(resp, f.source, Instant(0), rng.source());
  REQUIRE(reply);
  REQUIRE(f.generator.consume_reply(*reply, Instant(0)));
  f.generator.add_macs(resp, Instant(0));
  CHECK(f.checker.check_mac2(resp, f.source, Instant(0)));
}

TEST_CASE("wg cookie: replies that must be refused") {
  Fixture f;
  test::ScriptedRandom rng;
  CookieGenerator fresh(f.responder.public_key);
  auto reply = f.checker.make_reply(f.msg, f.source, Instant(0), rng.source());
  REQUIRE(reply);
  // Nothing was sent yet: no mac1 to bind the reply to.
  CHECK_FALSE(fresh.consume_reply(*reply, Instant(0)));
  // Bound to another message's mac1.
  f.generator.add_macs(f.msg, Instant(0));
  auto other_msg = f.msg;
  other_msg[9] ^= 1;
  CookieGenerator g2(f.responder.public_key);
  g2.add_macs(other_msg, Instant(0));
  auto reply_other = f.checker.make_reply(other_msg, f.source, Instant(0), rng.source());
  CHECK_FALSE(f.generator.consume_reply(*reply_other, Instant(0)));
  // Any flipped byte of a genuine reply.
  auto genuine = f.checker.make_reply(f.msg, f.source, Instant(0), rng.source());
  auto bytes = encode(*genuine);
  for (size_t i = 8; i < kCookieReplySize; ++i) {
    auto bad = bytes;
    bad[i] ^= 4;
    CHECK_FALSE(f.generator.consume_reply(*decode_cookie_reply(bad), Instant(0)));
  }
  // From a responder with another key.
  CookieChecker impostor(LocalIdentity::from_private(test::secret_filled<32>(0x24)).public_key);
  auto forged = impostor.make_reply(f.msg, f.source, Instant(0), rng.source());
  CHECK_FALSE(f.generator.consume_reply(*forged, Instant(0)));
  CHECK(f.generator.consume_reply(*genuine, Instant(0)));
  // Not a handshake message: no reply.
  CHECK_FALSE(f.checker.make_reply(std::span(f.msg).first(100), f.source, Instant(0), rng.source()));
}

TEST_CASE("wg cookie: cookies expire and the secret rotates every two minutes") {
  Fixture f;
  test::ScriptedRandom rng;
  f.generator.add_macs(f.msg, Instant(0));
  auto reply = f.checker.make_reply(f.msg, f.source, Instant(0), rng.source());
  REQUIRE(f.generator.consume_reply(*reply, Instant(0)));

  f.generator.add_macs(f.msg, 114s);
  CHECK(f.checker.check_mac2(f.msg, f.source, 114s));
  // The sender stops using its cookie before the responder's secret expires.
  f.generator.add_macs(f.msg, 116s);
  CHECK(test::hex(std::span(f.msg).subspan(kInitiationMac2Offset, 16)) == std::string(32, '0'));
  CHECK_FALSE(f.checker.check_mac2(f.msg, f.source, 116s));

  // After 120 s the responder's secret is stale: the old cookie never passes.
  auto stale = f.msg;
  {
    CookieGenerator g(f.responder.public_key);
    g.add_macs(stale, 0s);
    auto r = f.checker.make_reply(stale, f.source, 10s, rng.source());  // same secret as at 0 s
    REQUIRE(g.consume_reply(*r, 10s));
    g.add_macs(stale, 10s);
    CHECK(f.checker.check_mac2(stale, f.source, 10s));
    CHECK_FALSE(f.checker.check_mac2(stale, f.source, 121s));
  }
  // A reply made after rotation uses a new secret: old cookies stay invalid.
  auto r2 = f.checker.make_reply(stale, f.source, 121s, rng.source());
  REQUIRE(r2);
  CHECK_FALSE(f.checker.check_mac2(stale, f.source, 121s));
}

}  // namespace
}  // namespace aclc::wg
