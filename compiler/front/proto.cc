#include "compiler/front/proto.h"

#include <cctype>

namespace aclc::policy {
namespace {

struct NamedProto {
  const char* name;
  uint8_t number;
};

// Tailscale's ipproto acceptedNames.
constexpr NamedProto kNames[] = {
    {"ah", 51},    {"dccp", 33},   {"egp", 8},        {"esp", 50},
    {"gre", 47},   {"icmp", 1},    {"icmpv4", 1},     {"icmpv6", 58},
    {"ipv6-icmp", 58}, {"igmp", 2}, {"igp", 9},       {"ip-in-ip", 4},
    {"ipv4", 4},   {"sctp", 132},  {"tcp", 6},        {"tsmp", 99},
    {"udp", 17},
};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower((unsigned char)a[i]) != std::tolower((unsigned char)b[i]))
      return false;
  return true;
}

// Go's strconv.ParseUint(s, 10, 8): digits only (leading zeros allowed),
// value <= 255.
std::optional<uint8_t> parse_u8(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + unsigned(c - '0');
    if (v > 255) return std::nullopt;
  }
  return uint8_t(v);
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::optional<uint8_t> parse_proto_number(std::string_view s,
                                          std::string* error) {
  if (auto n = parse_u8(s)) return n;
  for (const auto& p : kNames)
    if (iequal(s, p.name)) return p.number;
  if (error)
    *error = "proto name " + go_quote(s) +
             " not known; use protocol number 0-255";
  return std::nullopt;
}

const char* proto_name(uint8_t number) {
  switch (number) {
    case 1: return "icmp";
    case 2: return "igmp";
    case 4: return "ipv4";
    case 6: return "tcp";
    case 8: return "egp";
    case 9: return "igp";
    case 17: return "udp";
    case 33: return "dccp";
    case 47: return "gre";
    case 50: return "esp";
    case 51: return "ah";
    case 58: return "ipv6-icmp";
    case 99: return "tsmp";
    case 132: return "sctp";
    default: return nullptr;
  }
}

}  // namespace aclc::policy
