// TransportKey, whichever backend the build selected (ACLC_AEAD), against
// libsodium's RFC 8439 ChaCha20-Poly1305 (the free aead_seal/aead_open): the
// same bytes at every size around the backend's switch-over points, in
// place, for consecutive counters on one key (a keyed context must not carry
// state from one message to the next); forged messages refused with the
// output wiped. (The free functions meet the protocol's published vectors
// in tests/unit: the full IKpsk2 transcript.)
#include <doctest/doctest.h>

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "runtime/wg/aead.h"

using namespace aclc::wg;

namespace {

Key test_key(uint8_t seed) {
  Key k;
  for (size_t i = 0; i < 32; ++i) k.data()[i] = uint8_t(seed + 7 * i);
  return k;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed ^ (i * 131));
  return v;
}

}  // namespace

TEST_CASE("wg TransportKey: byte-identical to libsodium at every size, in place, across counters") {
  REQUIRE(sodium_init() >= 0);
  INFO("backend " << aead_backend_name());
  Key key = test_key(3);
  TransportKey sealer(key), opener(key);
  uint64_t counter = 0;
  for (size_t size : {0, 1, 15, 16, 64, 511, 512, 767, 768, 769, 1024, 1392, 1408, 1420, 4096, 65519}) {
    for (int round = 0; round < 3; ++round, ++counter) {
      CAPTURE(size);
      CAPTURE(counter);
      std::vector<uint8_t> plain = pattern(size, uint8_t(counter));
      std::vector<uint8_t> expected(size + kAeadTagSize);
      aead_seal(key, counter, plain, {}, expected.data());

      std::vector<uint8_t> buf(plain);  // sealed in place
      buf.resize(size + kAeadTagSize);
      REQUIRE(sealer.seal(counter, std::span<const uint8_t>(buf.data(), size), buf.data()));
      CHECK(buf == expected);

      REQUIRE(opener.open(counter, buf, buf.data()));  // opened in place
      CHECK(std::equal(plain.begin(), plain.end(), buf.begin()));
    }
  }
}

TEST_CASE("wg TransportKey: forged, misnumbered and wrong-key messages are refused and the output wiped") {
  REQUIRE(sodium_init() >= 0);
  Key key = test_key(9);
  TransportKey sealer(key), opener(key), stranger(test_key(10));
  for (size_t size : {0, 100, 1420}) {
    CAPTURE(size);
    std::vector<uint8_t> sealed(size + kAeadTagSize);
    std::vector<uint8_t> plain = pattern(size, 0x5a);
    std::copy(plain.begin(), plain.end(), sealed.begin());
    REQUIRE(sealer.seal(41, std::span<const uint8_t>(sealed.data(), size), sealed.data()));

    auto refused = [&](TransportKey& k, uint64_t counter, std::vector<uint8_t> message) {
      std::vector<uint8_t> out(size, 0xee);
      bool ok = k.open(counter, message, out.data());
      CHECK_FALSE(ok);
      CHECK(std::all_of(out.begin(), out.end(), [](uint8_t b) { return b == 0; }));
    };
    refused(opener, 42, sealed);  // another counter (nonce)
    refused(stranger, 41, sealed);
    std::vector<uint8_t> bad_tag = sealed;
    bad_tag.back() ^= 1;
    refused(opener, 41, bad_tag);
    if (size > 0) {
      std::vector<uint8_t> bad_body = sealed;
      bad_body[size / 2] ^= 0x80;
      refused(opener, 41, bad_body);
    }
    // The keyed context is unharmed by the failures.
    std::vector<uint8_t> out(size);
    CHECK(opener.open(41, sealed, out.data()));
    CHECK(out == plain);
  }
  uint8_t out[1];
  CHECK_FALSE(opener.open(0, std::span<const uint8_t>(out, 0), out));  // shorter than a tag
}
