// Ports as Tailscale writes them: "host:ports" destinations in `acls`,
// "proto:ports" entries in a grant's `ip`, and "host:port" in `tests`.
//
// The grammar and the error strings are those of Tailscale's
// tailcfg.parseHostPortRange: the split is on the LAST colon (so
// "tag:prod:22" and "fd00::/64:443" work), "*" is every port, a range is
// "A-B" with 0 < A <= B, and each error names the offending text the way Go's
// %#v quotes it: `port range "ssh": invalid first integer`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"
#include "compiler/ir/portset.h"

namespace aclc::policy {

struct HostPorts {
  std::string_view host;   // before the last colon, as written
  std::string_view ports;  // after it
};

// Splits on the last ':'. Without a colon returns nullopt and sets *error to
// `hostport must contain a colon (":")`. "[fd7a::1]:22" gives host
// "[fd7a::1]" (brackets are the selector's business).
std::optional<HostPorts> split_host_ports(std::string_view s,
                                          std::string* error);

// One range: "*", "N" or "A-B" (ports 1..65535; "*" is 0-65535). On failure
// returns nullopt and sets *error to Tailscale's message, e.g.
// `port range "0": first port must be >0, or use '*' for wildcard`.
std::optional<PortRange> parse_port_range(std::string_view s,
                                          std::string* error);

// A comma-separated list of ranges, as an ACL dst accepts ("22,80-90").
// "" is `invalid port list: ""`. The ranges are returned in written order.
std::optional<std::vector<PortRange>> parse_port_list(std::string_view s,
                                                      std::string* error);

// A single port number 0..65535 with nothing else (the `tests` syntax:
// "tag:prod:22"). No ranges, lists or "*".
std::optional<uint16_t> parse_single_port(std::string_view s);

// One entry of a grant's `ip` list, with Tailscale's
// tailcfg.parseProtoPortRange semantics: "*", "<ports>", "<proto>:<ports>",
// "<proto>:*" ("*:<ports>" means default protocols). A bare word is a port,
// so "icmp" is `port range "icmp": invalid first integer`. `pos` is where the
// string starts; it is stored in the result.
std::optional<GrantIp> parse_grant_ip(std::string_view s, Pos pos,
                                      std::string* error);

}  // namespace aclc::policy
