// The AEADs WireGuard uses, behind one interface so the transport cipher's
// implementation is chosen at build time (CMake ACLC_AEAD): libsodium, or
// OpenSSL's EVP for transport messages (runtime/wg/aead_openssl.cc; 1.5-2x
// faster from MTU size up, bench/bench_aead.cc). Handshake and cookie
// messages always use libsodium (aead_sodium.cc): they are tiny, where
// libsodium is the faster one.
//
// Transport/handshake AEAD: ChaCha20-Poly1305 (RFC 8439) with the 96-bit
// nonce 0^32 || LE64(counter). Cookie replies: XChaCha20-Poly1305 with a
// 24-byte nonce. Every function is fail-closed: open() writes nothing
// meaningful and returns false on a bad tag or a too-short input.
#ifndef ACLC_RUNTIME_WG_AEAD_H_
#define ACLC_RUNTIME_WG_AEAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "runtime/wg/secret.h"

namespace aclc::wg {

inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kXNonceSize = 24;

// Name of the compiled-in transport implementation ("libsodium" or
// "openssl"), for logs and benches.
const char* aead_backend_name();

// Encrypts plaintext into out (plaintext.size() + 16 bytes). out may alias
// plaintext's start (in-place).
void aead_seal(const Key& key, uint64_t counter, std::span<const uint8_t> plaintext,
               std::span<const uint8_t> ad, uint8_t* out);

// Decrypts ciphertext (>= 16 bytes) into out (ciphertext.size() - 16 bytes).
// Returns false if the input is too short or the tag does not verify.
[[nodiscard]] bool aead_open(const Key& key, uint64_t counter, std::span<const uint8_t> ciphertext,
                             std::span<const uint8_t> ad, uint8_t* out);

void xaead_seal(const Key& key, const uint8_t nonce[kXNonceSize], std::span<const uint8_t> plaintext,
                std::span<const uint8_t> ad, uint8_t* out);
[[nodiscard]] bool xaead_open(const Key& key, const uint8_t nonce[kXNonceSize],
                              std::span<const uint8_t> ciphertext, std::span<const uint8_t> ad,
                              uint8_t* out);

// One direction of a session's transport key, prepared for the many
// messages of a session: the backend may keep a keyed context next to the
// key (so a message costs only its nonce setup). Everything is wiped when
// it is destroyed. Not thread-safe; one owner (a Keypair).
class TransportKey {
 public:
  explicit TransportKey(const Key& key);
  ~TransportKey();
  TransportKey(const TransportKey&) = delete;
  TransportKey& operator=(const TransportKey&) = delete;

  // As aead_seal with no AD; out may alias plaintext's start. False, with
  // out unspecified, only if the backend itself fails (out of memory).
  [[nodiscard]] bool seal(uint64_t counter, std::span<const uint8_t> plaintext, uint8_t* out);
  // As aead_open with no AD; out may alias ciphertext's start. On failure
  // out's ciphertext.size() - 16 bytes are zeroed (never unverified data).
  [[nodiscard]] bool open(uint64_t counter, std::span<const uint8_t> ciphertext, uint8_t* out);

 private:
  struct Backend;  // the backend's keyed contexts; nullptr until first needed
  Key key_;
  std::unique_ptr<Backend> backend_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_AEAD_H_
