#include "control/registry.h"

#include <sodium.h>

#include <cstdio>

#include "compiler/common/json_text.h"

namespace aclc::control {

std::optional<std::pair<std::string, std::string>> addresses_for(uint64_t n) {
  // 100.64.0.0/10 holds 2^22 addresses; the last one is left out so that
  // the broadcast-looking 100.127.255.255 is never handed out.
  if (n == 0 || n >= (uint64_t(1) << 22) - 1) return std::nullopt;
  uint32_t v4 = (100u << 24) | (64u << 16) | uint32_t(n);
  std::string a = std::to_string(v4 >> 24) + "." + std::to_string((v4 >> 16) & 255) + "." +
                  std::to_string((v4 >> 8) & 255) + "." + std::to_string(v4 & 255);
  char hex[16];
  if (n >> 16)
    std::snprintf(hex, sizeof hex, "%x:%x", unsigned(n >> 16), unsigned(n & 0xffff));
  else
    std::snprintf(hex, sizeof hex, "%x", unsigned(n));
  std::string b = "fd7a:115c:a1e0::" + std::string(hex);
  return std::make_pair(a, b);
}

bool valid_hostname(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool valid_endpoint(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size()) return false;
  std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  if (port.size() > 5) return false;
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + unsigned(c - '0');
  }
  if (p == 0 || p > 65535) return false;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  for (char c : host)
    if (c == ':' || c == '/' || c == ' ' || c == '"' || c < 0x21) return false;
  return true;
}

bool valid_wireguard_key(std::string_view s) {
  if (s.size() != 44 || s[43] != '=') return false;
  unsigned char raw[32];
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(raw, sizeof raw, s.data(), s.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  return len == 32 && end == s.data() + s.size();
}

std::string inventory_json(const std::vector<RegisteredDevice>& devices) {
  std::string out = "{\"devices\":[";
  auto list = [&](const std::vector<std::string>& v) {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, v[i]);
    }
    out += ']';
  };
  for (size_t i = 0; i < devices.size(); ++i) {
    const RegisteredDevice& d = devices[i];
    if (i) out += ',';
    out += "\n{\"id\":";
    append_json_string(out, d.id);
    out += ",\"hostname\":";
    append_json_string(out, d.hostname);
    out += ",\"name\":";
    append_json_string(out, d.hostname);
    out += ",\"addresses\":";
    list({d.ipv4, d.ipv6});
    out += ",\"user\":";
    append_json_string(out, d.user);
    out += ",\"tags\":";
    list(d.tags);
    out += ",\"wireguardPublicKey\":";
    append_json_string(out, d.wireguard_key);
    out += ",\"endpoints\":";
    list(d.endpoints);
    out += ",\"created\":" + std::to_string(d.created) + "}";
  }
  out += "\n]}\n";
  return out;
}

}  // namespace aclc::control
