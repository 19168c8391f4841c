// Wire formats: exact sizes and offsets, round trips, and rejection of
// truncated, oversized and malformed datagrams; padding.
#include <doctest/doctest.h>

#include <random>

#include "runtime/wg/messages.h"
#include "tests/unit/wg_test_util.h"

namespace aclc::wg {
namespace {

template <size_t N>
void fill(std::array<uint8_t, N>& a, uint8_t start) {
  for (size_t i = 0; i < N; ++i) a[i] = uint8_t(start + i);
}

TEST_CASE("wg messages: initiation layout and round trip") {
  Initiation m;
  m.sender = 0x11223344;
  fill(m.ephemeral, 1), fill(m.encrypted_static, 2), fill(m.encrypted_timestamp, 3);
  fill(m.mac1, 4), fill(m.mac2, 5);
  auto b = encode(m);
  CHECK(b.size() == 148);
  CHECK(test::hex(std::span(b).first(8)) == "0100000044332211");
  CHECK(b[8] == 1);
  CHECK(b[40] == 2);
  CHECK(b[88] == 3);
  CHECK(b[kInitiationMac1Offset] == 4);
  CHECK(b[kInitiationMac2Offset] == 5);
  auto d = decode_initiation(b);
  REQUIRE(d);
  CHECK(encode(*d) == b);
  CHECK(classify(b) == MessageType::kInitiation);
}

TEST_CASE("wg messages: response, cookie reply and transport layouts") {
  Response r;
  r.sender = 1, r.receiver = 0x01020304;
  fill(r.ephemeral, 9), fill(r.encrypted_nothing, 10), fill(r.mac1, 11), fill(r.mac2, 12);
  auto rb = encode(r);
  CHECK(rb.size() == 92);
  CHECK(test::hex(std::span(rb).first(12)) == "020000000100000004030201");
  CHECK(rb[kResponseMac1Offset] == 11);
  CHECK(rb[kResponseMac2Offset] == 12);
  CHECK(encode(*decode_response(rb)) == rb);

  CookieReply c;
  c.receiver = 7;
  fill(c.nonce, 20), fill(c.encrypted_cookie, 50);
  auto cb = encode(c);
  CHECK(cb.size() == 64);
  CHECK(cb[8] == 20);
  CHECK(cb[32] == 50);
  CHECK(encode(*decode_cookie_reply(cb)) == cb);

  std::vector<uint8_t> t(32);
  encode_transport_header({0xaabbccdd, 0x0102030405060708ULL}, t.data());
  CHECK(test::hex(std::span(t).first(16)) == "04000000ddccbbaa0807060504030201");
  auto h = decode_transport_header(t);
  REQUIRE(h);
  CHECK(h->receiver == 0xaabbccdd);
  CHECK(h->counter == 0x0102030405060708ULL);
}

TEST_CASE("wg messages: wrong lengths and headers are rejected") {
  std::vector<uint8_t> buf(200, 0);
  for (size_t len = 0; len < buf.size(); ++len) {
    CAPTURE(len);
    std::span<const uint8_t> d(buf.data(), len);
    buf[0] = 1;
    CHECK(decode_initiation(d).has_value() == (len == 148));
    CHECK(classify(d).has_value() == (len == 148));
    buf[0] = 2;
    CHECK(decode_response(d).has_value() == (len == 92));
    buf[0] = 3;
    CHECK(decode_cookie_reply(d).has_value() == (len == 64));
    buf[0] = 4;
    CHECK(decode_transport_header(d).has_value() == (len >= 32));
    CHECK(classify(d).has_value() == (len >= 32));
    buf[0] = 0;
    CHECK_FALSE(classify(d));
    buf[0] = 5;
    CHECK_FALSE(classify(d));
  }
  // Non-zero reserved bytes make any type invalid.
  for (uint8_t type = 1; type <= 4; ++type) {
    for (size_t reserved = 1; reserved < 4; ++reserved) {
      std::vector<uint8_t> d(type == 1 ? 148 : type == 2 ? 92 : type == 3 ? 64 : 48, 0);
      d[0] = type;
      REQUIRE(classify(d));
      d[reserved] = 1;
      CHECK_FALSE(classify(d));
      CHECK_FALSE(decode_initiation(d));
      CHECK_FALSE(decode_response(d));
      CHECK_FALSE(decode_cookie_reply(d));
      CHECK_FALSE(decode_transport_header(d));
    }
  }
  // A message of one type never decodes as another.
  Initiation m;
  auto b = encode(m);
  CHECK_FALSE(decode_response(b));
  CHECK_FALSE(decode_transport_header(b));
}

TEST_CASE("wg messages: random bytes never decode inconsistently") {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> d(rng() % 160);
    for (auto& x : d) x = uint8_t(rng() % 4 == 0 ? rng() % 5 : rng());
    auto t = classify(d);
    CHECK(decode_initiation(d).has_value() == (t == MessageType::kInitiation));
    CHECK(decode_response(d).has_value() == (t == MessageType::kResponse));
    CHECK(decode_cookie_reply(d).has_value() == (t == MessageType::kCookieReply));
    CHECK(decode_transport_header(d).has_value() == (t == MessageType::kTransport));
  }
}

TEST_CASE("wg messages: padding to 16 within the MTU") {
  CHECK(padding_size(0, 1420) == 0);  // keepalive
  CHECK(padding_size(1, 1420) == 15);
  CHECK(padding_size(16, 1420) == 0);
  CHECK(padding_size(17, 1420) == 15);
  CHECK(padding_size(1419, 1420) == 1);   // capped at the MTU, not 1424
  CHECK(padding_size(1420, 1420) == 0);
  CHECK(padding_size(1421, 1420) == 15);  // oversized (GSO) packets pad their last unit
  CHECK(padding_size(1419, 0) == 5);      // MTU unknown: plain multiple of 16
  for (size_t n = 0; n < 3000; ++n) {
    size_t p = padding_size(n, 1420);
    CHECK(p < 16);
    if (n <= 1420) CHECK((n + p <= 1420 && ((n + p) % 16 == 0 || n + p == 1420)));
  }
}

}  // namespace
}  // namespace aclc::wg
