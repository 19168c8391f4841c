// IP protocol names and numbers as Tailscale accepts them in `acls[].proto`
// and in a grant's "proto:ports" (Tailscale's ipproto.Proto.UnmarshalText).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aclc::policy {

// A decimal number 0..255, or one of Tailscale's accepted names
// (case-insensitive): ah dccp egp esp gre icmp icmpv4 icmpv6 ipv6-icmp igmp
// igp ip-in-ip ipv4 sctp tcp tsmp udp. "icmp" is protocol 1 only. On failure
// returns nullopt and sets *error to
// `proto name "<s>" not known; use protocol number 0-255`.
// The empty string is not handled here: callers treat it as "absent".
std::optional<uint8_t> parse_proto_number(std::string_view s,
                                          std::string* error);

// The canonical lower-case name of a protocol number ("tcp", "icmp"), or
// nullptr when Tailscale has no name for it.
const char* proto_name(uint8_t number);

}  // namespace aclc::policy
