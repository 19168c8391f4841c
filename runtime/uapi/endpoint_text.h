// UDP endpoints and allowed-IP prefixes as UAPI spells them, with Go's
// net/netip rules (what wireguard-go parses with ParseAddrPort and
// ParsePrefix, and prints with AddrPort.String and Prefix.String):
//
//   endpoint    1.2.3.4:51820   [fd00::1]:51820   [::ffff:1.2.3.4]:5
//   allowed IP  10.0.0.0/8      fd00::/64         ::ffff:10.0.0.0/104
//
// Strict: IPv4 is four decimal octets without leading zeros; IPv6 fields
// have 1-4 hex digits, one "::" at most, an embedded IPv4 address only as
// the last 32 bits; an IPv6 endpoint needs brackets and an IPv4 one must
// not have them; a port is decimal up to 65535; prefix lengths are decimal
// without sign or leading zero, at most 32 or 128. Zones ("%eth0") are
// refused: Endpoint has no scope id. An IPv4-mapped IPv6 address stays
// family 6, as in Go.
//
// Host bits past the prefix length are accepted and cleared, as
// wireguard-go's allowed-IPs trie masks every inserted prefix (so
// `allowed_ip=10.1.2.3/8` reads back as 10.0.0.0/8).
//
// Output is canonical (RFC 5952 for IPv6: lowercase, the longest run of
// two or more zero fields as "::", the first such run on a tie, IPv4-mapped
// addresses as ::ffff:a.b.c.d), and parse(format(x)) == x.
#ifndef ACLC_RUNTIME_UAPI_ENDPOINT_TEXT_H_
#define ACLC_RUNTIME_UAPI_ENDPOINT_TEXT_H_

#include <optional>
#include <string>
#include <string_view>

#include "runtime/device/config.h"

namespace aclc::runtime::uapi {

// Inputs longer than this are refused outright (the longest valid text is
// "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535", 53 bytes; Go
// also allows leading zeros in the port).
inline constexpr size_t kMaxAddressText = 128;

std::optional<Endpoint> parse_endpoint(std::string_view text);
std::string format_endpoint(const Endpoint& endpoint);

std::optional<AllowedIp> parse_allowed_ip(std::string_view text);
std::string format_allowed_ip(const AllowedIp& prefix);

// A bare address (no port, no prefix length); family 4 or 6 as above.
struct IpAddress {
  uint8_t family = 4;
  std::array<uint8_t, 16> address{};
};
std::optional<IpAddress> parse_ip_address(std::string_view text);
std::string format_ip_address(uint8_t family, const std::array<uint8_t, 16>& address);

}  // namespace aclc::runtime::uapi

#endif  // ACLC_RUNTIME_UAPI_ENDPOINT_TEXT_H_
