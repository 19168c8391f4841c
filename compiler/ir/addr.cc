#include "compiler/ir/addr.h"

#include <ostream>

namespace aclc {

namespace {

// Mask of the host part of a prefix: the low (width - bits) bits set.
u128 host_mask(Family f, int bits) {
  int host_bits = family_bits(f) - bits;
  if (host_bits <= 0) return 0;
  if (host_bits >= 128) return ~u128{0};
  return (u128{1} << host_bits) - 1;
}

constexpr u128 kV4MappedPrefix = u128{0xffff} << 32;

// Go's parseIPv4Fields: exactly four decimal octets, no leading zeros.
bool parse_v4_octets(std::string_view s, uint8_t out[4]) {
  int val = 0, pos = 0, digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      if (digits == 1 && val == 0) return false;  // leading zero
      val = val * 10 + (c - '0');
      ++digits;
      if (val > 255) return false;
    } else if (c == '.') {
      if (i == 0 || i == s.size() - 1 || s[i - 1] == '.') return false;
      if (pos == 3) return false;
      out[pos++] = static_cast<uint8_t>(val);
      val = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (pos < 3) return false;
  out[3] = static_cast<uint8_t>(val);
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Go's parseIPv6, minus zones.
std::optional<Addr> parse_v6(std::string_view s) {
  std::array<uint8_t, 16> ip{};
  int ellipsis = -1;  // byte position of "::"
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    ellipsis = 0;
    s.remove_prefix(2);
    if (s.empty()) return Addr(ip);
  }
  int i = 0;
  while (i < 16) {
    size_t off = 0;
    uint32_t acc = 0;
    for (; off < s.size(); ++off) {
      int d = hex_digit(s[off]);
      if (d < 0) break;
      if (off > 3) return std::nullopt;  // more than 4 hex digits
      acc = (acc << 4) + static_cast<uint32_t>(d);
    }
    if (off == 0) return std::nullopt;
    if (off < s.size() && s[off] == '.') {
      if (ellipsis < 0 && i != 12) return std::nullopt;
      if (i + 4 > 16) return std::nullopt;
      uint8_t v4[4];
      if (!parse_v4_octets(s, v4)) return std::nullopt;
      for (int k = 0; k < 4; ++k) ip[i + k] = v4[k];
      s = {};
      i += 4;
      break;
    }
    ip[i] = static_cast<uint8_t>(acc >> 8);
    ip[i + 1] = static_cast<uint8_t>(acc);
    i += 2;
    s.remove_prefix(off);
    if (s.empty()) break;
    if (s[0] != ':' || s.size() == 1) return std::nullopt;
    s.remove_prefix(1);
    if (s[0] == ':') {
      if (ellipsis >= 0) return std::nullopt;  // a second "::"
      ellipsis = i;
      s.remove_prefix(1);
      if (s.empty()) break;
    }
  }
  if (!s.empty()) return std::nullopt;
  if (i < 16) {
    if (ellipsis < 0) return std::nullopt;
    int n = 16 - i;
    for (int j = i - 1; j >= ellipsis; --j) ip[j + n] = ip[j];
    for (int j = ellipsis; j < ellipsis + n; ++j) ip[j] = 0;
  } else if (ellipsis >= 0) {
    return std::nullopt;  // "::" must stand for at least one group
  }
  return Addr(ip);
}

void append_v4(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((v >> shift) & 0xff);
    if (shift) out += '.';
  }
}

void append_hex16(std::string& out, unsigned v) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    unsigned d = (v >> shift) & 0xf;
    if (d || started || shift == 0) {
      out += kHex[d];
      started = true;
    }
  }
}

}  // namespace

Addr::Addr(const std::array<uint8_t, 16>& v6) : family(Family::V6), value(0) {
  for (uint8_t b : v6) value = (value << 8) | b;
}

std::array<uint8_t, 16> Addr::bytes() const {
  u128 v = is_v4() ? (kV4MappedPrefix | value) : value;
  std::array<uint8_t, 16> out{};
  for (int i = 15; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
  return out;
}

bool Addr::is_v4_mapped() const { return is_v6() && (value >> 32) == u128{0xffff}; }

std::optional<Addr> parse_addr(std::string_view s) {
  for (char c : s) {
    if (c == '.') {
      uint8_t o[4];
      if (!parse_v4_octets(s, o)) return std::nullopt;
      return Addr(uint32_t{o[0]} << 24 | uint32_t{o[1]} << 16 | uint32_t{o[2]} << 8 | o[3]);
    }
    if (c == ':') return parse_v6(s);
  }
  return std::nullopt;
}

std::string to_string(const Addr& a) {
  std::string out;
  if (a.is_v4()) {
    out.reserve(15);
    append_v4(out, a.v4());
    return out;
  }
  if (a.is_v4_mapped()) {
    out = "::ffff:";
    append_v4(out, static_cast<uint32_t>(a.value));
    return out;
  }
  unsigned groups[8];
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<unsigned>(a.value >> (16 * (7 - i))) & 0xffff;
  // First longest run of at least two zero groups.
  int zero_start = -1, zero_len = 1;
  for (int i = 0; i < 8; ++i) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > zero_len) {
      zero_start = i;
      zero_len = j - i;
    }
  }
  out.reserve(39);
  for (int i = 0; i < 8; ++i) {
    if (i == zero_start) {
      out += "::";
      i += zero_len - 1;
      continue;
    }
    if (i > 0 && i != zero_start + zero_len) out += ':';
    append_hex16(out, groups[i]);
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Addr& a) { return os << to_string(a); }

bool Prefix::is_masked() const { return (addr.value & host_mask(addr.family, bits)) == 0; }

Prefix Prefix::masked() const { return Prefix{first(), bits}; }

Addr Prefix::first() const { return Addr(addr.family, addr.value & ~host_mask(addr.family, bits)); }

Addr Prefix::last() const {
  return Addr(addr.family, (addr.value | host_mask(addr.family, bits)) & max_raw(addr.family));
}

bool Prefix::contains(const Addr& a) const {
  return a.family == addr.family && first().value <= a.value && a.value <= last().value;
}

bool Prefix::overlaps(const Prefix& o) const {
  return o.addr.family == addr.family && first().value <= o.last().value &&
         o.first().value <= last().value;
}

std::optional<Prefix> parse_prefix(std::string_view s) {
  size_t slash = s.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = parse_addr(s.substr(0, slash));
  if (!a) return std::nullopt;
  std::string_view digits = s.substr(slash + 1);
  // Go: no sign, no leading zeros, at least one digit.
  if (digits.empty() || digits.size() > 3) return std::nullopt;
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  int bits = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (bits > family_bits(a->family)) return std::nullopt;
  return Prefix{*a, bits};
}

std::optional<Prefix> parse_addr_or_prefix(std::string_view s) {
  if (s.find('/') != std::string_view::npos) return parse_prefix(s);
  auto a = parse_addr(s);
  if (!a) return std::nullopt;
  return Prefix::host(*a);
}

std::string to_string(const Prefix& p) { return to_string(p.addr) + "/" + std::to_string(p.bits); }

std::ostream& operator<<(std::ostream& os, const Prefix& p) { return os << to_string(p); }

Prefix cgnat_prefix() { return Prefix{Addr(0x64400000u), 10}; }

Prefix chromeos_vm_prefix() { return Prefix{Addr(0x64735c00u), 23}; }

Prefix tailscale_ula_prefix() { return Prefix{Addr(Family::V6, u128{0xfd7a115ca1e0ull} << 80), 48}; }

}  // namespace aclc
