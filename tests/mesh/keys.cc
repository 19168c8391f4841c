#include "tests/mesh/keys.h"

#include <sodium.h>

#include "tests/mesh/error.h"

namespace mesh {

std::string base64(const Key32& key) {
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(out, sizeof out, key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  return out;
}

std::string hex(const Key32& key) {
  char out[65];
  sodium_bin2hex(out, sizeof out, key.data(), key.size());
  return out;
}

KeyPair KeyPair::generate() {
  if (sodium_init() < 0) throw Error("libsodium does not initialise");
  KeyPair k;
  randombytes_buf(k.private_key.data(), k.private_key.size());
  k.private_key[0] &= 248;
  k.private_key[31] = static_cast<uint8_t>((k.private_key[31] & 127) | 64);
  if (crypto_scalarmult_base(k.public_key.data(), k.private_key.data()) != 0) throw Error("X25519 base failed");
  return k;
}

KeyPair::~KeyPair() { sodium_memzero(private_key.data(), private_key.size()); }

}  // namespace mesh
