// Fuzzes the bundle decoder, which a node runs on bytes from the network.
// Beyond "never crash, hang or allocate without bound" it checks:
//  - whatever decodes is canonical: encode(decode(x)) is x without its
//    signature, byte for byte;
//  - open() with any key refuses what does not carry that key's signature;
//  - lookups on a decoded filter are safe for any packet.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "compiler/bundle/bundle.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace b = aclc::bundle;
  std::span<const uint8_t> in(data, size);
  std::string err;
  auto x = b::decode(in, err);
  if (!x) {
    FUZZ_CHECK(!err.empty(), "decode failed without a reason");
  } else {
    auto again = b::encode(*x, err);
    FUZZ_CHECK(again.has_value(), "decoded bundle does not encode: %s", err.c_str());
    FUZZ_CHECK(again->size() + b::kSignatureBytes == size, "re-encoding changes the size");
    FUZZ_CHECK(std::equal(again->begin(), again->end(), data), "re-encoding changes bytes");
    for (uint8_t family : {uint8_t(4), uint8_t(6)})
      for (uint8_t proto : {uint8_t(1), uint8_t(6), uint8_t(17)})
        for (uint16_t port : {uint16_t(0), uint16_t(22), uint16_t(65535)}) {
          b::u128 a = size > 0 ? data[size / 2] : 0;
          (void)x->allows(family, a, a, proto, port);
        }
  }
  // A fixed key that no corpus input is signed with: never accepted.
  b::Acceptance want;
  want.control_key.fill(0x5a);
  want.now = 0;
  FUZZ_CHECK(!b::open(in, want, err), "accepted a bundle not signed by the control key");
  return 0;
}
