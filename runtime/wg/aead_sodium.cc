// libsodium implementation of runtime/wg/aead.h's functions (handshakes,
// cookies, and the transport messages aead_openssl.cc leaves to libsodium).
#include <sodium.h>

#include "runtime/wg/aead.h"

namespace aclc::wg {
namespace {

void counter_nonce(uint64_t counter, uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES]) {
  for (int i = 0; i < 4; ++i) nonce[i] = 0;
  for (int i = 0; i < 8; ++i) nonce[4 + i] = uint8_t(counter >> (8 * i));
}

}  // namespace

void aead_seal(const Key& key, uint64_t counter, std::span<const uint8_t> plaintext,
               std::span<const uint8_t> ad, uint8_t* out) {
  uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
  counter_nonce(counter, nonce);
  unsigned long long n = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out, &n, plaintext.data(), plaintext.size(), ad.data(),
                                            ad.size(), nullptr, nonce, key.data());
}

bool aead_open(const Key& key, uint64_t counter, std::span<const uint8_t> ciphertext,
               std::span<const uint8_t> ad, uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
  counter_nonce(counter, nonce);
  unsigned long long n = 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(out, &n, nullptr, ciphertext.data(),
                                                   ciphertext.size(), ad.data(), ad.size(), nonce,
                                                   key.data()) == 0;
}

void xaead_seal(const Key& key, const uint8_t nonce[kXNonceSize], std::span<const uint8_t> plaintext,
                std::span<const uint8_t> ad, uint8_t* out) {
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out, &n, plaintext.data(), plaintext.size(), ad.data(),
                                             ad.size(), nullptr, nonce, key.data());
}

bool xaead_open(const Key& key, const uint8_t nonce[kXNonceSize], std::span<const uint8_t> ciphertext,
                std::span<const uint8_t> ad, uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  unsigned long long n = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, &n, nullptr, ciphertext.data(),
                                                    ciphertext.size(), ad.data(), ad.size(), nonce,
                                                    key.data()) == 0;
}

}  // namespace aclc::wg
