// Fuzzes the WireGuard receive path on bytes from the network: classify and
// decode every message type, check mac1/mac2, open initiations, consume
// responses and cookie replies, open transport packets. Beyond "never
// crash, hang or read out of bounds" it checks:
//  - classify() and the decoders agree, and decoding is lossless;
//  - a response that does not complete the pending handshake leaves it
//    pending (forged responses must not cancel a handshake);
//  - an opened transport packet's plaintext is exactly 32 bytes shorter.
// The world below is deterministic (fixed keys, ephemerals and timestamp),
// so the seed corpus holds genuine messages that reach the deepest paths.
// Compile with -DACLC_WG_FUZZ_WRITE_SEEDS and run with a directory argument
// to regenerate those seeds.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "runtime/wg/cookie.h"
#include "runtime/wg/keypair.h"
#include "runtime/wg/noise.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace aclc::wg;

aclc::wg::PrivateKey key_of(uint8_t fill) {
  PrivateKey k;
  k.bytes.fill(fill);
  k.bytes[0] &= 248;
  k.bytes[31] = (k.bytes[31] & 127) | 64;
  return k;
}

// Deterministic randomness: a counter pattern.
RandomSource counter_random(uint8_t seed) {
  return [seed](uint8_t* buf, size_t len) mutable {
    for (size_t i = 0; i < len; ++i) buf[i] = seed++;
  };
}

struct World {
  LocalIdentity initiator = LocalIdentity::from_private(key_of(0x11));
  LocalIdentity responder = LocalIdentity::from_private(key_of(0x22));
  Key psk;
  CookieChecker responder_macs{responder.public_key};
  CookieChecker initiator_macs{initiator.public_key};
  CookieGenerator to_responder{responder.public_key};
  std::optional<Handshake> pending;    // initiator, initiation sent
  std::optional<Handshake> listening;  // responder, nothing accepted yet
  std::optional<SessionKeys> responder_keys;
  std::array<uint8_t, kInitiationSize> initiation{};
  std::array<uint8_t, kResponseSize> response{};
  std::array<uint8_t, kCookieReplySize> cookie_reply{};
  std::vector<uint8_t> transport;

  World() {
    listening = Handshake::create(responder, initiator.public_key, psk);
    pending = Handshake::create(initiator, responder.public_key, psk);
    auto init = pending->create_initiation(1, tai64n_from_unix(1700000000, 0), counter_random(0x30));
    initiation = encode(*init);
    to_responder.add_macs(initiation, Instant(0));
    auto r = *listening;
    auto opened = open_initiation(responder, *init);
    if (!opened || !r.accept_initiation(*opened, Instant(0))) std::abort();
    auto resp = r.create_response(2, counter_random(0x40));
    response = encode(*resp);
    CookieGenerator(initiator.public_key).add_macs(response, Instant(0));
    responder_keys = r.derive_session();
    cookie_reply = encode(*responder_macs.make_reply(initiation, std::span<const uint8_t>(), Instant(0),
                                                    counter_random(0x50)));
    // A transport packet from the initiator to the responder.
    auto i = *pending;
    if (!i.consume_response(*resp)) std::abort();
    Keypair kp(*i.derive_session(), Instant(0));
    std::vector<uint8_t> payload(48, 0x45);
    transport.resize(32 + payload.size());
    kp.seal(payload, Instant(0), transport.data());
  }
};

const World& world() {
  static const World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const World& w = world();
  std::span<const uint8_t> in(data, size);
  auto type = classify(in);
  auto init = decode_initiation(in);
  auto resp = decode_response(in);
  auto cookie = decode_cookie_reply(in);
  auto header = decode_transport_header(in);
  FUZZ_CHECK(init.has_value() == (type == MessageType::kInitiation), "classify/initiation disagree");
  FUZZ_CHECK(resp.has_value() == (type == MessageType::kResponse), "classify/response disagree");
  FUZZ_CHECK(cookie.has_value() == (type == MessageType::kCookieReply), "classify/cookie disagree");
  FUZZ_CHECK(header.has_value() == (type == MessageType::kTransport), "classify/transport disagree");
  FUZZ_CHECK(padding_size(size, 1420) < 16, "padding of %zu", size);

  if (init) {
    auto again = encode(*init);
    FUZZ_CHECK(std::memcmp(again.data(), data, size) == 0, "initiation does not round-trip");
    CookieChecker checker = w.responder_macs;
    (void)checker.check_mac1(in);
    (void)checker.check_mac2(in, in.first(6), Instant(0));
    if (auto opened = open_initiation(w.responder, *init)) {
      Handshake hs = *w.listening;
      if (hs.accept_initiation(*opened, Instant(0))) {
        auto r = hs.create_response(9, counter_random(1));
        FUZZ_CHECK(r.has_value(), "accepted initiation without a response");
        FUZZ_CHECK(hs.derive_session().has_value(), "responder cannot derive keys");
      }
    }
  }
  if (resp) {
    auto again = encode(*resp);
    FUZZ_CHECK(std::memcmp(again.data(), data, size) == 0, "response does not round-trip");
    (void)w.initiator_macs.check_mac1(in);
    Handshake hs = *w.pending;
    if (hs.consume_response(*resp)) {
      FUZZ_CHECK(hs.derive_session().has_value(), "initiator cannot derive keys");
    } else {
      FUZZ_CHECK(hs.state() == Handshake::State::kInitiationCreated, "a bad response changed state");
    }
  }
  if (cookie) {
    auto again = encode(*cookie);
    FUZZ_CHECK(std::memcmp(again.data(), data, size) == 0, "cookie reply does not round-trip");
    CookieGenerator gen = w.to_responder;
    (void)gen.consume_reply(*cookie, Instant(0));
  }
  if (header) {
    Keypair kp(*w.responder_keys, Instant(0));
    std::vector<uint8_t> out(size);
    auto n = kp.open(in, Instant(0), out.data());
    if (n) FUZZ_CHECK(*n + 32 == size, "plaintext of %zu from %zu bytes", *n, size);
  }
  return 0;
}

#ifdef ACLC_WG_FUZZ_WRITE_SEEDS
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const World& w = world();
  auto write = [&](const char* name, std::span<const uint8_t> b) {
    std::ofstream(std::string(argv[1]) + "/" + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  };
  write("initiation", w.initiation);
  write("response", w.response);
  write("cookie-reply", w.cookie_reply);
  write("transport", w.transport);
  write("initiation-truncated", std::span(w.initiation).first(147));
  write("transport-short", std::span(w.transport).first(31));
  return 0;
}
#endif
