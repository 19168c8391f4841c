// WireGuard's symmetric primitives on BLAKE2s (whitepaper §5.4, Noise §4.3):
// HASH (BLAKE2s-256), MAC (keyed BLAKE2s-128), HMAC-BLAKE2s and the HKDF
// chain KDF1/KDF2/KDF3 used to advance the Noise chaining key.
//
// Inputs are given as a list of byte spans so callers can hash "a || b"
// without building a temporary buffer.
#ifndef ACLC_RUNTIME_WG_BLAKE2S_KDF_H_
#define ACLC_RUNTIME_WG_BLAKE2S_KDF_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "runtime/wg/secret.h"

namespace aclc::wg {

using Bytes = std::span<const uint8_t>;

inline constexpr size_t kHashSize = 32;
inline constexpr size_t kMacSize = 16;

// HASH(parts...) = BLAKE2s-256 of the concatenation. Writes 32 bytes to out.
void blake2s_hash(std::initializer_list<Bytes> parts, uint8_t out[kHashSize]);

// Keyed BLAKE2s with a 16-byte digest; key is 1..32 bytes. WireGuard's MAC().
void blake2s_mac(Bytes key, std::initializer_list<Bytes> parts, uint8_t out[kMacSize]);

// HMAC-BLAKE2s (RFC 2104, 64-byte block) with a key of at most 64 bytes.
void hmac_blake2s(Bytes key, std::initializer_list<Bytes> parts, uint8_t out[kHashSize]);

// HKDF over HMAC-BLAKE2s as WireGuard uses it: t0 = HMAC(key, input),
// t1 = HMAC(t0, 0x01), t(i) = HMAC(t0, t(i-1) || i). Returns t1..tn.
// Outputs may alias key (the chaining key is usually both).
void kdf1(Bytes key, Bytes input, Key& t1);
void kdf2(Bytes key, Bytes input, Key& t1, Key& t2);
void kdf3(Bytes key, Bytes input, Key& t1, Key& t2, Key& t3);

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_BLAKE2S_KDF_H_
