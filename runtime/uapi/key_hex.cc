#include "runtime/uapi/key_hex.h"

#include <sodium.h>

namespace aclc::runtime::uapi {

namespace {

// The value of hex digit c in the low 4 bits, and in *invalid 1 when c is
// not a hex digit, computed with masks only. Unsigned wrap-around turns each
// range test into the sign of a subtraction: (x - n) >> 8 is non-zero
// exactly when x < n for x, n < 256.
unsigned digit_value(uint8_t c, unsigned* invalid) {
  const unsigned decimal = c ^ 0x30u;                // '0'..'9' -> 0..9
  const unsigned is_decimal = ((decimal - 10u) >> 8) & 1u;
  const unsigned letter = (c & ~0x20u) - 55u;        // 'a'..'f', 'A'..'F' -> 10..15
  const unsigned is_letter = (((letter - 10u) ^ (letter - 16u)) >> 8) & 1u;
  *invalid |= (is_decimal | is_letter) ^ 1u;
  return ((0u - is_decimal) & decimal) | ((0u - is_letter) & letter);
}

// '0'..'9' for 0..9, 'a'..'f' for 10..15: add 39 more past 9, by mask.
char nibble_char(unsigned n) {
  return static_cast<char>(n + 48u + (((9u - n) >> 8) & 39u));
}

}  // namespace

bool key_from_hex(std::string_view hex, std::span<uint8_t, 32> key) {
  if (hex.size() != kKeyHexLength) {
    sodium_memzero(key.data(), key.size());
    return false;
  }
  unsigned invalid = 0;
  for (size_t i = 0; i < key.size(); ++i) {
    const unsigned hi = digit_value(static_cast<uint8_t>(hex[2 * i]), &invalid);
    const unsigned lo = digit_value(static_cast<uint8_t>(hex[2 * i + 1]), &invalid);
    key[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  if (invalid != 0) {
    sodium_memzero(key.data(), key.size());
    return false;
  }
  return true;
}

void key_to_hex(std::span<const uint8_t, 32> key, std::span<char, kKeyHexLength> hex) {
  for (size_t i = 0; i < key.size(); ++i) {
    hex[2 * i] = nibble_char(key[i] >> 4);
    hex[2 * i + 1] = nibble_char(key[i] & 0xfu);
  }
}

}  // namespace aclc::runtime::uapi
