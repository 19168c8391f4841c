// TransportKey over libsodium alone (CMake ACLC_AEAD=libsodium): it keeps
// only the key; libsodium has no per-key state worth preparing.
#include <sodium.h>

#include "runtime/wg/aead.h"

namespace aclc::wg {

struct TransportKey::Backend {};

const char* aead_backend_name() { return "libsodium"; }

TransportKey::TransportKey(const Key& key) : key_(key) {}
TransportKey::~TransportKey() = default;

bool TransportKey::seal(uint64_t counter, std::span<const uint8_t> plaintext, uint8_t* out) {
  aead_seal(key_, counter, plaintext, {}, out);
  return true;
}

bool TransportKey::open(uint64_t counter, std::span<const uint8_t> ciphertext, uint8_t* out) {
  if (aead_open(key_, counter, ciphertext, {}, out)) return true;
  // libsodium verifies before it writes; zero anyway, as the contract says.
  if (ciphertext.size() > kAeadTagSize) sodium_memzero(out, ciphertext.size() - kAeadTagSize);
  return false;
}

}  // namespace aclc::wg
