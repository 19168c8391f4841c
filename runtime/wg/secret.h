// Fixed-size secret byte strings that wipe themselves when dropped.
//
// Every key, chaining value and ephemeral private key in the protocol core is
// a Secret, so a forgotten sodium_memzero cannot leave key material behind in
// freed memory. Copies are allowed (the handshake works on copies and commits
// them only after authentication) and each copy wipes itself.
#ifndef ACLC_RUNTIME_WG_SECRET_H_
#define ACLC_RUNTIME_WG_SECRET_H_

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace aclc::wg {

template <size_t N>
struct Secret {
  std::array<uint8_t, N> bytes{};

  Secret() = default;
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret() { wipe(); }

  void wipe() { sodium_memzero(bytes.data(), N); }
  uint8_t* data() { return bytes.data(); }
  const uint8_t* data() const { return bytes.data(); }
  static constexpr size_t size() { return N; }
  std::span<const uint8_t, N> view() const { return std::span<const uint8_t, N>(bytes); }
  // True iff every byte is zero, without branching on the contents.
  bool is_zero() const { return sodium_is_zero(bytes.data(), N) == 1; }
};

using Key = Secret<32>;                        // symmetric keys, chaining keys
using PrivateKey = Secret<32>;                 // X25519 private keys
using PublicKey = std::array<uint8_t, 32>;     // X25519 public keys (not secret)
using HashValue = std::array<uint8_t, 32>;     // handshake hash H (transcript, public)

// Constant-time equality of two equally long byte strings.
inline bool equal_ct(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_SECRET_H_
