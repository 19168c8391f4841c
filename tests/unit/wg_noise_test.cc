// The IKpsk2 handshake: a full transcript with fixed keys, ephemerals and
// timestamp whose bytes were computed by an independent implementation of
// the protocol (Python: hashlib.blake2s + hmac for the Noise layer, ctypes
// libsodium only for X25519 and ChaCha20-Poly1305); tamper detection on
// every byte; replay, flood and low-order-key rejection.
#include <doctest/doctest.h>

#include <algorithm>

#include "runtime/wg/cookie.h"
#include "runtime/wg/keypair.h"
#include "runtime/wg/noise.h"
#include "tests/unit/wg_test_util.h"

namespace aclc::wg {
namespace {

using test::hex;
using test::unhex;

PrivateKey clamped(uint8_t fill) {
  PrivateKey k = test::secret_filled<32>(fill);
  k.bytes[0] &= 248;
  k.bytes[31] = (k.bytes[31] & 127) | 64;
  return k;
}

std::vector<uint8_t> raw(const PrivateKey& k) { return {k.bytes.begin(), k.bytes.end()}; }

const char* kInitiationHex =
    "01000000040302017b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b1481e498317da959fba466"
    "69572516a5e6c021bfa620bb6c56ca0082e1feae14988c2c64d024c617734a263f76a008df04d0f94bad8ee75ec2ebc26955"
    "e25dac89e1a97d7e0173721e4981674e624310019b46e59eb4a1ce3c3b084e4000000000000000000000000000000000";
const char* kResponseHex =
    "02000000d0c0b0a004030201ff2ee45601ec1b67310c7790404585ae697331eee1c1f8cf2419731c1fff3e6ba8f8dd722f47"
    "b75215ce44c6b94d81b6cf809685f73bd5aa5fb714a95230221500000000000000000000000000000000";
const char* kTranscriptHash = "30acc9385c00028777d39e576600f7ae380e4c992bac53fcaeb6633ef179d3a4";
const char* kT1 = "a007faf842d83f5bd3be20a14e0ffcec34c84867b78b051980602713205922de";
const char* kT2 = "d982d5cd10d34a7802b6c19fa441cd9164d70e4f4d62007ab416879ee8bd1b99";
const char* kDataFromInitiator =
    "04000000d0c0b0a000000000000000000c51489d1b28e9cab5540c477b1c2542037a9588762f3c748b62abcddb4c029b";
const char* kKeepaliveFromResponder = "040000000403020100000000000000004546b4bebf67c6c95055c71188ff8c4e";
constexpr uint32_t kIndexI = 0x01020304, kIndexR = 0xa0b0c0d0;

struct Pair {
  LocalIdentity initiator = LocalIdentity::from_private(clamped(0x11));
  LocalIdentity responder = LocalIdentity::from_private(clamped(0x22));
  Key psk = test::secret_filled<32>(0x55);
  Handshake at_initiator = *Handshake::create(initiator, responder.public_key, psk);
  Handshake at_responder = *Handshake::create(responder, initiator.public_key, psk);
  test::ScriptedRandom rng_i, rng_r;
  Tai64n timestamp{};
  Pair() {
    auto ts = unhex("400000006553f1000a000000");
    std::copy(ts.begin(), ts.end(), timestamp.begin());
    rng_i.queue.push_back(raw(clamped(0x33)));
    rng_r.queue.push_back(raw(clamped(0x44)));
  }
};

TEST_CASE("wg noise: construction and identifier hashes") {
  CHECK(hex(initial_chaining_key()) == "60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
  CHECK(hex(initial_hash()) == "2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
}

TEST_CASE("wg noise: full IKpsk2 transcript matches an independent computation") {
  Pair p;
  CHECK(hex(p.initiator.public_key) == "7b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f73f13");
  CHECK(hex(p.responder.public_key) == "0faa684ed28867b97f4a6a2dee5df8ce974e76b7018e3f22a1c4cf2678570f20");

  auto init = p.at_initiator.create_initiation(kIndexI, p.timestamp, p.rng_i.source());
  REQUIRE(init);
  auto init_bytes = encode(*init);
  CookieGenerator to_responder(p.responder.public_key);
  REQUIRE(to_responder.add_macs(init_bytes, Instant(0)));
  CHECK(hex(init_bytes) == kInitiationHex);

  CookieChecker responder_macs(p.responder.public_key);
  REQUIRE(responder_macs.check_mac1(init_bytes));
  auto opened = open_initiation(p.responder, *decode_initiation(init_bytes));
  REQUIRE(opened);
  CHECK(opened->remote_static == p.initiator.public_key);
  REQUIRE(p.at_responder.accept_initiation(*opened, Instant(0)));
  CHECK(p.at_responder.last_timestamp() == p.timestamp);

  auto resp = p.at_responder.create_response(kIndexR, p.rng_r.source());
  REQUIRE(resp);
  auto resp_bytes = encode(*resp);
  CookieGenerator to_initiator(p.initiator.public_key);
  REQUIRE(to_initiator.add_macs(resp_bytes, Instant(0)));
  CHECK(hex(resp_bytes) == kResponseHex);

  CookieChecker initiator_macs(p.initiator.public_key);
  REQUIRE(initiator_macs.check_mac1(resp_bytes));
  REQUIRE(p.at_initiator.consume_response(*decode_response(resp_bytes)));
  CHECK(hex(p.at_initiator.hash().bytes) == kTranscriptHash);
  CHECK(hex(p.at_responder.hash().bytes) == kTranscriptHash);

  auto si = p.at_initiator.derive_session();
  auto sr = p.at_responder.derive_session();
  REQUIRE(si);
  REQUIRE(sr);
  CHECK(si->initiator);
  CHECK_FALSE(sr->initiator);
  CHECK(hex(si->send.bytes) == kT1);
  CHECK(hex(si->receive.bytes) == kT2);
  CHECK(hex(sr->receive.bytes) == kT1);
  CHECK(hex(sr->send.bytes) == kT2);
  CHECK(si->local_index == kIndexI);
  CHECK(si->remote_index == kIndexR);
  CHECK(sr->local_index == kIndexR);
  CHECK(sr->remote_index == kIndexI);
  // Deriving wipes the chaining key and hash on both sides.
  CHECK(p.at_initiator.hash().is_zero());
  CHECK(p.at_responder.hash().is_zero());
  CHECK(p.at_initiator.state() == Handshake::State::kZeroed);
  CHECK_FALSE(p.at_initiator.derive_session());

  // First transport messages, both ways.
  Keypair ki(*si, Instant(0)), kr(*sr, Instant(0));
  std::vector<uint8_t> payload(16);
  for (size_t i = 0; i < 16; ++i) payload[i] = uint8_t(i);
  std::vector<uint8_t> wire(16 + 16 + 16);
  REQUIRE(ki.seal(payload, Instant(0), wire.data()) == wire.size());
  CHECK(hex(wire) == kDataFromInitiator);
  std::vector<uint8_t> plain(16);
  REQUIRE(kr.open(wire, Instant(0), plain.data()) == 16u);
  CHECK(plain == payload);

  uint8_t keepalive[32];
  REQUIRE(kr.seal({}, Instant(0), keepalive) == 32u);
  CHECK(hex(keepalive) == kKeepaliveFromResponder);
  uint8_t none[1];
  CHECK(ki.open(keepalive, Instant(0), none) == 0u);
}

TEST_CASE("wg noise: a response from prepare_initiation's DHs is the transcript's, byte for byte") {
  // The DHs done apart (as on a handshake thread), then committed: the
  // same response, hash and keys as the independent transcript.
  Pair p;
  auto init = p.at_initiator.create_initiation(kIndexI, p.timestamp, p.rng_i.source());
  REQUIRE(init);
  auto prepared = prepare_initiation(p.responder, *init, p.rng_r.source());
  REQUIRE(prepared);
  CHECK(prepared->opened.remote_static == p.initiator.public_key);
  REQUIRE(p.at_responder.accept_initiation(prepared->opened, Instant(0)));
  auto resp = p.at_responder.create_response(kIndexR, *prepared);
  REQUIRE(resp);
  auto resp_bytes = encode(*resp);
  CookieGenerator to_initiator(p.initiator.public_key);
  REQUIRE(to_initiator.add_macs(resp_bytes, Instant(0)));
  CHECK(hex(resp_bytes) == kResponseHex);
  REQUIRE(p.at_initiator.consume_response(*decode_response(resp_bytes)));
  CHECK(hex(p.at_responder.hash().bytes) == kTranscriptHash);
  auto sr = p.at_responder.derive_session();
  REQUIRE(sr);
  CHECK(hex(sr->send.bytes) == kT2);
  CHECK(hex(sr->receive.bytes) == kT1);
}

TEST_CASE("wg noise: prepared DHs answer only the initiation they were made for") {
  Pair p;
  auto first = p.at_initiator.create_initiation(kIndexI, p.timestamp, p.rng_i.source());
  REQUIRE(first);
  auto stale = prepare_initiation(p.responder, *first, p.rng_r.source());
  REQUIRE(stale);
  Tai64n later = p.timestamp;
  later[11] ^= 1;  // a later stamp (nanoseconds field)
  auto second = p.at_initiator.create_initiation(kIndexI, later, p.rng_i.source());
  REQUIRE(second);
  auto fresh = prepare_initiation(p.responder, *second, p.rng_r.source());
  REQUIRE(fresh);
  REQUIRE(p.at_responder.accept_initiation(fresh->opened, Instant(0)));
  // The first initiation's DHs do not fit the accepted second one.
  CHECK_FALSE(p.at_responder.create_response(kIndexR, *stale));
  CHECK(p.at_responder.state() == Handshake::State::kInitiationConsumed);
  CHECK(p.at_responder.create_response(kIndexR, *fresh));
  // A mangled initiation is refused before any response DH.
  Initiation bad = *second;
  bad.encrypted_static[3] ^= 0x40;
  CHECK_FALSE(prepare_initiation(p.responder, bad, p.rng_r.source()));
}

TEST_CASE("wg noise: random keys complete and agree") {
  for (int round = 0; round < 5; ++round) {
    auto i = LocalIdentity::from_private(generate_private_key(system_random));
    auto r = LocalIdentity::from_private(generate_private_key(system_random));
    Key psk;  // no preshared key: 32 zero bytes
    auto hi = Handshake::create(i, r.public_key, psk);
    auto hr = Handshake::create(r, i.public_key, psk);
    REQUIRE(hi);
    REQUIRE(hr);
    auto init = hi->create_initiation(7, tai64n_now(), system_random);
    REQUIRE(init);
    auto opened = open_initiation(r, *init);
    REQUIRE(opened);
    REQUIRE(hr->accept_initiation(*opened, Instant(0)));
    auto resp = hr->create_response(9, system_random);
    REQUIRE(resp);
    REQUIRE(hi->consume_response(*resp));
    auto si = hi->derive_session();
    auto sr = hr->derive_session();
    REQUIRE(si);
    REQUIRE(sr);
    CHECK(si->send.bytes == sr->receive.bytes);
    CHECK(si->receive.bytes == sr->send.bytes);
    CHECK(si->send.bytes != si->receive.bytes);
  }
}

TEST_CASE("wg noise: every tampered initiation byte is rejected") {
  Pair p;
  auto init = encode(*p.at_initiator.create_initiation(kIndexI, p.timestamp, p.rng_i.source()));
  CookieGenerator gen(p.responder.public_key);
  gen.add_macs(init, Instant(0));
  CookieChecker checker(p.responder.public_key);
  for (size_t i = 0; i < kInitiationMac2Offset; ++i) {
    CAPTURE(i);
    auto bad = init;
    bad[i] ^= 0x01;
    CHECK_FALSE(checker.check_mac1(bad));
    // Even past mac1, the cryptography alone rejects everything but the
    // sender index (which is not authenticated by Noise, only by mac1).
    auto m = decode_initiation(bad);
    if (!m) continue;
    auto hs = *Handshake::create(p.responder, p.initiator.public_key, p.psk);
    auto opened = open_initiation(p.responder, *m);
    bool accepted = opened && hs.accept_initiation(*opened, Instant(0));
    bool unauthenticated_field = (i >= 4 && i < 8) || i >= kInitiationMac1Offset;
    CHECK(accepted == unauthenticated_field);
  }
}

TEST_CASE("wg noise: forged responses leave the pending handshake intact") {
  Pair p;
  auto init = *p.at_initiator.create_initiation(kIndexI, p.timestamp, p.rng_i.source());
  auto opened = open_initiation(p.responder, init);
  REQUIRE(p.at_responder.accept_initiation(*opened, Instant(0)));
  auto good = encode(*p.at_responder.create_response(kIndexR, p.rng_r.source()));
  for (size_t i = 0; i < kResponseMac1Offset; ++i) {
    CAPTURE(i);
    if (i >= 4 && i < 8) continue;  // sender index: not authenticated by Noise
    auto bad = good;
    bad[i] ^= 0x80;
    auto m = decode_response(bad);
    if (m) CHECK_FALSE(p.at_initiator.consume_response(*m));
    CHECK(p.at_initiator.state() == Handshake::State::kInitiationCreated);
  }
  // A response to another index, and a low-order ephemeral.
  auto m = *decode_response(good);
  m.receiver ^= 1;
  CHECK_FALSE(p.at_initiator.consume_response(m));
  m = *decode_response(good);
  m.ephemeral.fill(0);
  CHECK_FALSE(p.at_initiator.consume_response(m));
  // The genuine one still completes.
  CHECK(p.at_initiator.consume_response(*decode_response(good)));
  CHECK_FALSE(p.at_initiator.consume_response(*decode_response(good)));  // only once
}

TEST_CASE("wg noise: replayed, stale and flooding initiations are refused") {
  Pair p;
  auto init = *p.at_initiator.create_initiation(kIndexI, p.timestamp, p.rng_i.source());
  auto opened = open_initiation(p.responder, init);
  REQUIRE(opened);
  REQUIRE(p.at_responder.accept_initiation(*opened, Instant(0)));
  // The same message again, even much later: same timestamp.
  CHECK_FALSE(p.at_responder.accept_initiation(*opened, Instant(std::chrono::seconds(60))));

  Tai64n later = tai64n_from_unix(1700000000, 0), later2 = tai64n_from_unix(1700000001, 0);
  auto o2 = open_initiation(p.responder, *p.at_initiator.create_initiation(kIndexI, later, system_random));
  auto o3 = open_initiation(p.responder, *p.at_initiator.create_initiation(kIndexI, later2, system_random));
  // Newer stamp but within 20 ms of the last accepted initiation: flood.
  CHECK_FALSE(p.at_responder.accept_initiation(*o2, Instant(std::chrono::milliseconds(19))));
  CHECK(p.at_responder.accept_initiation(*o2, Instant(std::chrono::milliseconds(20))));
  // An older stamp than the last accepted one is stale.
  auto o_old = open_initiation(p.responder, *p.at_initiator.create_initiation(kIndexI, p.timestamp, system_random));
  CHECK_FALSE(p.at_responder.accept_initiation(*o_old, Instant(std::chrono::seconds(1))));
  CHECK(p.at_responder.accept_initiation(*o3, Instant(std::chrono::seconds(1))));
}

TEST_CASE("wg noise: a future-dated initiation blocks later genuine ones") {
  Pair p;
  auto future = tai64n_from_unix(4000000000, 0), now = tai64n_from_unix(1700000000, 0);
  auto of = open_initiation(p.responder, *p.at_initiator.create_initiation(kIndexI, future, system_random));
  REQUIRE(p.at_responder.accept_initiation(*of, Instant(0)));
  auto on = open_initiation(p.responder, *p.at_initiator.create_initiation(kIndexI, now, system_random));
  CHECK_FALSE(p.at_responder.accept_initiation(*on, Instant(std::chrono::seconds(10))));
}

TEST_CASE("wg noise: initiations for another identity or peer are refused") {
  Pair p;
  auto other = LocalIdentity::from_private(clamped(0x66));
  auto init = *p.at_initiator.create_initiation(kIndexI, p.timestamp, p.rng_i.source());
  CHECK_FALSE(open_initiation(other, init));  // not addressed to `other`
  // Opened by the right responder but offered to another peer's handshake.
  auto opened = open_initiation(p.responder, init);
  auto hs_other = *Handshake::create(p.responder, other.public_key, p.psk);
  CHECK_FALSE(hs_other.accept_initiation(*opened, Instant(0)));
  // A different preshared key fails at the response.
  auto hs_wrong_psk = *Handshake::create(p.responder, p.initiator.public_key, test::secret_filled<32>(1));
  REQUIRE(hs_wrong_psk.accept_initiation(*opened, Instant(0)));
  auto resp = hs_wrong_psk.create_response(kIndexR, system_random);
  REQUIRE(resp);
  CHECK_FALSE(p.at_initiator.consume_response(*resp));
}

TEST_CASE("wg noise: low-order public keys never complete") {
  LocalIdentity local = LocalIdentity::from_private(clamped(0x11));
  Key psk;
  // Low-order points on Curve25519 (RFC 7748 / kernel curve25519 selftest).
  const char* low_order[] = {
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  };
  for (const char* h : low_order) {
    CAPTURE(h);
    PublicKey pub{};
    auto b = unhex(h);
    std::copy(b.begin(), b.end(), pub.begin());
    CHECK_FALSE(Handshake::create(local, pub, psk));
    Key out;
    CHECK_FALSE(dh(local.private_key, pub, out));
    CHECK(out.is_zero());
  }
  // An initiation carrying a low-order ephemeral is refused before AEAD.
  Initiation m;
  CHECK_FALSE(open_initiation(local, m));
}

TEST_CASE("wg noise: responses need an accepted initiation") {
  Pair p;
  CHECK_FALSE(p.at_responder.create_response(kIndexR, system_random));
  CHECK_FALSE(p.at_responder.derive_session());
  Response r;
  CHECK_FALSE(p.at_initiator.consume_response(r));  // nothing pending
}

}  // namespace
}  // namespace aclc::wg
