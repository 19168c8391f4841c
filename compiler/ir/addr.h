// IP addresses and prefixes.
//
// Both families are held in one unsigned 128-bit value (IPv4 in the low 32
// bits) so that sets and arithmetic are the same code for v4 and v6. Parsing
// and printing follow Go's net/netip exactly, because Tailscale's wire strings
// are produced by it and our output is compared against recordings.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace aclc {

using u128 = unsigned __int128;

enum class Family : uint8_t { V4, V6 };

// Number of bits in an address of the family (32 or 128).
constexpr int family_bits(Family f) { return f == Family::V4 ? 32 : 128; }

struct Addr {
  Family family = Family::V4;
  u128 value = 0;  // IPv4: only the low 32 bits are used.

  constexpr Addr() = default;
  constexpr Addr(Family f, u128 v) : family(f), value(v) {}
  constexpr explicit Addr(uint32_t v4) : family(Family::V4), value(v4) {}
  // Network byte order.
  explicit Addr(const std::array<uint8_t, 16>& v6);

  bool is_v4() const { return family == Family::V4; }
  bool is_v6() const { return family == Family::V6; }
  uint32_t v4() const { return static_cast<uint32_t>(value); }
  // Network byte order; an IPv4 address is returned IPv4-mapped (::ffff:a.b.c.d).
  std::array<uint8_t, 16> bytes() const;
  // ::ffff:a.b.c.d (an IPv6 address).
  bool is_v4_mapped() const;

  // All v4 addresses order before all v6 addresses.
  friend constexpr auto operator<=>(const Addr&, const Addr&) = default;
  friend constexpr bool operator==(const Addr&, const Addr&) = default;
};

// 255.255.255.255 or ffff:...:ffff.
constexpr u128 max_raw(Family f) { return f == Family::V4 ? u128{0xffffffffu} : ~u128{0}; }
constexpr Addr max_value(Family f) { return Addr(f, max_raw(f)); }

// Strict, like Go's netip.ParseAddr: dotted quad without leading zeros; IPv6
// with at most one "::", at most 4 hex digits per group and an optional
// embedded IPv4 tail. No zones, no brackets, no surrounding whitespace.
// "::ffff:1.2.3.4" is an IPv6 address (it is not unmapped).
std::optional<Addr> parse_addr(std::string_view s);

// Like Go's netip.Addr.String(): dotted quad; RFC 5952 for IPv6 (lowercase,
// the first longest run of >= 2 zero groups as "::"); "::ffff:1.2.3.4" for
// IPv4-mapped addresses.
std::string to_string(const Addr& a);
std::ostream& operator<<(std::ostream& os, const Addr& a);

// An address and a prefix length. Like Go's netip.Prefix it keeps the address
// as written, host bits included, so that callers can report Tailscale's
// "<prefix> contains non-network bits set" and print values as written.
struct Prefix {
  Addr addr;
  int bits = 0;

  // A /32 or /128.
  static Prefix host(const Addr& a) { return Prefix{a, family_bits(a.family)}; }

  Family family() const { return addr.family; }
  bool is_single_addr() const { return bits == family_bits(addr.family); }
  // True when the address has no bits set past the prefix length.
  bool is_masked() const;
  // The same prefix with host bits cleared.
  Prefix masked() const;
  Addr first() const;
  Addr last() const;
  bool contains(const Addr& a) const;
  // Prefixes of different families never overlap.
  bool overlaps(const Prefix& o) const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// Strict, like Go's netip.ParsePrefix: "<addr>/<n>" with n in 0..32 or
// 0..128, no sign and no leading zeros in n. Host bits are allowed and kept;
// check is_masked() to reject them the way Tailscale does.
std::optional<Prefix> parse_prefix(std::string_view s);

// A bare address (as a /32 or /128) or a prefix. The selector grammar
// accepts either in the same place.
std::optional<Prefix> parse_addr_or_prefix(std::string_view s);

// "<addr>/<n>", the address as held (host bits included).
std::string to_string(const Prefix& p);
std::ostream& operator<<(std::ostream& os, const Prefix& p);

// Well-known Tailscale ranges.
Prefix cgnat_prefix();          // 100.64.0.0/10, where Tailscale assigns IPv4 addresses
Prefix chromeos_vm_prefix();    // 100.115.92.0/23, excluded from the tailnet range
Prefix tailscale_ula_prefix();  // fd7a:115c:a1e0::/48, where Tailscale assigns IPv6 addresses

}  // namespace aclc

template <>
struct std::hash<aclc::Addr> {
  size_t operator()(const aclc::Addr& a) const noexcept {
    uint64_t lo = static_cast<uint64_t>(a.value);
    uint64_t hi = static_cast<uint64_t>(a.value >> 64);
    uint64_t h = lo * 0x9e3779b97f4a7c15ull ^ (hi + 0x7f4a7c159e3779b9ull + (lo << 6) + (lo >> 2));
    return static_cast<size_t>(h ^ static_cast<uint64_t>(a.family));
  }
};
