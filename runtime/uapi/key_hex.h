// WireGuard keys as UAPI spells them: exactly 64 hex digits. Both
// directions run in constant time with respect to the key (no branch or
// table lookup on a digit), because private and preshared keys pass
// through here.
#ifndef ACLC_RUNTIME_UAPI_KEY_HEX_H_
#define ACLC_RUNTIME_UAPI_KEY_HEX_H_

#include <cstdint>
#include <span>
#include <string_view>

namespace aclc::runtime::uapi {

inline constexpr size_t kKeyHexLength = 64;

// Decodes 64 hex digits (either case) into *key. False, with *key zeroed,
// for any other length or any non-hex character; the length is public, the
// digits are not.
bool key_from_hex(std::string_view hex, std::span<uint8_t, 32> key);

// Writes 64 lowercase hex digits.
void key_to_hex(std::span<const uint8_t, 32> key, std::span<char, kKeyHexLength> hex);

}  // namespace aclc::runtime::uapi

#endif  // ACLC_RUNTIME_UAPI_KEY_HEX_H_
