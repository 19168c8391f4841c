// The AEADs WireGuard uses, behind one interface so the transport cipher's
// implementation can be swapped (libsodium today; an OpenSSL variant may be
// chosen later by benchmark by compiling another aead_*.cc in its place).
//
// Transport/handshake AEAD: ChaCha20-Poly1305 (RFC 8439) with the 96-bit
// nonce 0^32 || LE64(counter). Cookie replies: XChaCha20-Poly1305 with a
// 24-byte nonce. Every function is fail-closed: open() writes nothing
// meaningful and returns false on a bad tag or a too-short input.
#ifndef ACLC_RUNTIME_WG_AEAD_H_
#define ACLC_RUNTIME_WG_AEAD_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "runtime/wg/secret.h"

namespace aclc::wg {

inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kXNonceSize = 24;

// Name of the compiled-in implementation ("libsodium"), for logs and benches.
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

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_AEAD_H_
