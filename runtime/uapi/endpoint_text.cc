#include "runtime/uapi/endpoint_text.h"

#include <algorithm>
#include <cstdio>

namespace aclc::runtime::uapi {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four decimal octets; an octet is "0" or has no leading zero (Go refuses
// "010" because other parsers read it as octal).
bool parse_ipv4(std::string_view s, uint8_t* out) {
  int fields = 0;
  size_t i = 0;
  while (true) {
    if (i >= s.size() || !is_digit(s[i])) return false;
    unsigned value = 0;
    const size_t start = i;
    while (i < s.size() && is_digit(s[i])) {
      if (i > start && value == 0) return false;  // leading zero
      value = value * 10 + unsigned(s[i] - '0');
      if (value > 255) return false;
      ++i;
    }
    out[fields++] = static_cast<uint8_t>(value);
    if (fields == 4) return i == s.size();
    if (i >= s.size() || s[i] != '.') return false;
    ++i;
  }
}

// RFC 4291 text: up to eight fields of 1-4 hex digits, at most one "::"
// standing for at least one zero field, optionally ending in an IPv4
// address that fills the last two fields.
bool parse_ipv6(std::string_view s, uint8_t* out) {
  uint8_t bytes[16] = {};
  int filled = 0;     // bytes parsed so far
  int ellipsis = -1;  // byte offset where "::" stands
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    i = 2;
    if (i == s.size()) {
      std::fill(out, out + 16, 0);
      return true;
    }
  }
  while (filled < 16) {
    // One field: hex digits, or the trailing IPv4 address.
    size_t end = i;
    while (end < s.size() && hex_value(s[end]) >= 0) ++end;
    if (end < s.size() && s[end] == '.') {
      if ((ellipsis < 0 && filled != 12) || filled + 4 > 16) return false;
      if (!parse_ipv4(s.substr(i), bytes + filled)) return false;
      filled += 4;
      i = s.size();
      break;
    }
    const size_t digits = end - i;
    if (digits == 0 || digits > 4) return false;
    unsigned value = 0;
    for (size_t k = i; k < end; ++k) value = value * 16 + unsigned(hex_value(s[k]));
    bytes[filled++] = static_cast<uint8_t>(value >> 8);
    bytes[filled++] = static_cast<uint8_t>(value);
    i = end;
    if (i == s.size()) break;
    if (s[i] != ':' || i + 1 == s.size()) return false;  // a field ends in ':' and more
    ++i;
    if (s[i] == ':') {
      if (ellipsis >= 0) return false;  // a second "::"
      ellipsis = filled;
      ++i;
      if (i == s.size()) break;
    }
  }
  if (i != s.size()) return false;  // more than eight fields
  if (filled < 16) {
    if (ellipsis < 0) return false;  // too few fields
    const int gap = 16 - filled;
    for (int k = filled - 1; k >= ellipsis; --k) bytes[k + gap] = bytes[k];
    for (int k = ellipsis; k < ellipsis + gap; ++k) bytes[k] = 0;
  } else if (ellipsis >= 0) {
    return false;  // "::" must stand for at least one field
  }
  std::copy(bytes, bytes + 16, out);
  return true;
}

// Decimal digits only (Go's strconv.ParseUint base 10: no sign, leading
// zeros allowed), at most `max`.
bool parse_decimal(std::string_view s, unsigned max, unsigned* out) {
  if (s.empty()) return false;
  unsigned value = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    value = value * 10 + unsigned(c - '0');
    if (value > max) return false;
  }
  *out = value;
  return true;
}

bool is_ipv4_mapped(const std::array<uint8_t, 16>& a) {
  for (int k = 0; k < 10; ++k)
    if (a[k] != 0) return false;
  return a[10] == 0xff && a[11] == 0xff;
}

void append_ipv4(std::string* out, const uint8_t* a) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
  out->append(buf);
}

void clear_host_bits(std::array<uint8_t, 16>* address, unsigned bits, unsigned total) {
  for (unsigned bit = bits; bit < total; ++bit)
    (*address)[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) return std::nullopt;
  IpAddress ip;
  if (text.find(':') != std::string_view::npos) {
    ip.family = 6;
    if (!parse_ipv6(text, ip.address.data())) return std::nullopt;
  } else {
    ip.family = 4;
    if (!parse_ipv4(text, ip.address.data())) return std::nullopt;
  }
  return ip;
}

std::string format_ip_address(uint8_t family, const std::array<uint8_t, 16>& a) {
  std::string out;
  if (family == 4) {
    append_ipv4(&out, a.data());
    return out;
  }
  if (is_ipv4_mapped(a)) {
    out = "::ffff:";
    append_ipv4(&out, a.data() + 12);
    return out;
  }
  uint16_t fields[8];
  for (int k = 0; k < 8; ++k) fields[k] = static_cast<uint16_t>(a[2 * k] << 8 | a[2 * k + 1]);
  // The longest run of two or more zero fields (the first on a tie).
  int best_start = -1, best_length = 1;
  for (int k = 0; k < 8;) {
    if (fields[k] != 0) {
      ++k;
      continue;
    }
    int run_end = k;
    while (run_end < 8 && fields[run_end] == 0) ++run_end;
    if (run_end - k > best_length) {
      best_start = k;
      best_length = run_end - k;
    }
    k = run_end;
  }
  char buf[8];
  for (int k = 0; k < 8; ++k) {
    if (k == best_start) {
      out += "::";
      k += best_length - 1;
      continue;
    }
    if (k > 0 && k != best_start + best_length) out += ':';
    std::snprintf(buf, sizeof buf, "%x", fields[k]);
    out += buf;
  }
  return out;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  if (text.size() > kMaxAddressText) return std::nullopt;
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.empty()) return std::nullopt;
  bool bracketed = false;
  if (host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
    bracketed = true;
  }
  unsigned port = 0;
  if (!parse_decimal(port_text, 65535, &port)) return std::nullopt;
  const auto ip = parse_ip_address(host);
  // IPv6 needs brackets (its colons would be ambiguous); IPv4 must not have them.
  if (!ip || (ip->family == 6) != bracketed) return std::nullopt;
  Endpoint endpoint;
  endpoint.family = ip->family;
  endpoint.address = ip->address;
  endpoint.port = static_cast<uint16_t>(port);
  return endpoint;
}

std::string format_endpoint(const Endpoint& endpoint) {
  std::string host = format_ip_address(endpoint.family, endpoint.address);
  std::string out = endpoint.family == 4 ? host : "[" + host + "]";
  return out + ":" + std::to_string(endpoint.port);
}

std::optional<AllowedIp> parse_allowed_ip(std::string_view text) {
  if (text.size() > kMaxAddressText) return std::nullopt;
  const size_t slash = text.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const auto ip = parse_ip_address(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const std::string_view bits_text = text.substr(slash + 1);
  const unsigned total = ip->family == 4 ? 32 : 128;
  unsigned bits = 0;
  // Go refuses a sign and a leading zero after the slash ("/08").
  if (bits_text.size() > 1 && bits_text[0] == '0') return std::nullopt;
  if (!parse_decimal(bits_text, total, &bits)) return std::nullopt;
  AllowedIp prefix;
  prefix.family = ip->family;
  prefix.address = ip->address;
  prefix.bits = static_cast<uint8_t>(bits);
  clear_host_bits(&prefix.address, bits, total);
  return prefix;
}

std::string format_allowed_ip(const AllowedIp& prefix) {
  return format_ip_address(prefix.family, prefix.address) + "/" + std::to_string(prefix.bits);
}

}  // namespace aclc::runtime::uapi
