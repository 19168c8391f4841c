// WireGuard key pairs for test nodes (X25519 via libsodium), in the forms
// the tools want: base64 for `wg` and the device list, hex for UAPI.
#ifndef ACLC_TESTS_MESH_KEYS_H_
#define ACLC_TESTS_MESH_KEYS_H_

#include <array>
#include <cstdint>
#include <string>

namespace mesh {

using Key32 = std::array<uint8_t, 32>;

std::string base64(const Key32& key);
std::string hex(const Key32& key);

struct KeyPair {
  Key32 private_key{};  // clamped, as `wg genkey` writes it
  Key32 public_key{};
  static KeyPair generate();
  ~KeyPair();
};

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_KEYS_H_
