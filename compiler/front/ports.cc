#include "compiler/front/ports.h"

#include <algorithm>

#include "compiler/front/proto.h"

namespace aclc::policy {
namespace {

// Go's %#v / %q of a string (ASCII escapes only; enough for messages).
std::string quoted(std::string_view s) {
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

// Go's strconv.ParseUint(s, 10, 16).
std::optional<uint16_t> parse_u16(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + uint32_t(c - '0');
    if (v > 65535) return std::nullopt;
  }
  return uint16_t(v);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

}  // namespace

std::optional<HostPorts> split_host_ports(std::string_view s,
                                          std::string* error) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    if (error) *error = "hostport must contain a colon (\":\")";
    return std::nullopt;
  }
  return HostPorts{s.substr(0, colon), s.substr(colon + 1)};
}

std::optional<PortRange> parse_port_range(std::string_view s,
                                          std::string* error) {
  auto fail = [&](const std::string& what) -> std::optional<PortRange> {
    if (error) *error = "port range " + quoted(s) + ": " + what;
    return std::nullopt;
  };
  if (s == "*") return PortRange::all();
  if (s.empty()) {
    if (error) *error = "invalid port list: \"\"";
    return std::nullopt;
  }
  if (std::count(s.begin(), s.end(), '-') > 1)
    return fail("too many dashes(-)");
  size_t dash = s.find('-');
  auto first = parse_u16(s.substr(0, dash));
  if (!first) return fail("invalid first integer");
  uint16_t last = *first;
  if (dash != std::string_view::npos) {
    auto l = parse_u16(s.substr(dash + 1));
    if (!l) return fail("invalid last integer");
    last = *l;
  }
  if (*first == 0) return fail("first port must be >0, or use '*' for wildcard");
  if (*first > last) return fail("first port must be >= last port");
  return PortRange{*first, last};
}

std::optional<std::vector<PortRange>> parse_port_list(std::string_view s,
                                                      std::string* error) {
  if (s.empty()) {
    if (error) *error = "invalid port list: \"\"";
    return std::nullopt;
  }
  std::vector<PortRange> out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    std::string_view part = s.substr(start, comma == std::string_view::npos
                                                ? std::string_view::npos
                                                : comma - start);
    auto r = parse_port_range(part, error);
    if (!r) return std::nullopt;
    out.push_back(*r);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<uint16_t> parse_single_port(std::string_view s) {
  return parse_u16(s);
}

std::optional<GrantIp> parse_grant_ip(std::string_view s, Pos pos,
                                      std::string* error) {
  GrantIp ip;
  ip.text = std::string(s);
  ip.pos = pos;
  if (s.empty()) {
    if (error) *error = "empty string";
    return std::nullopt;
  }
  if (s == "*") {
    ip.ports.push_back(PortRange::all());
    return ip;
  }
  // Tailscale lower-cases "proto:ports" before splitting it.
  std::string text = lower(s);
  if (text.find(':') == std::string::npos) text = "*:" + text;
  auto hp = split_host_ports(text, error);
  if (!hp) return std::nullopt;
  if (hp->host.find(',') != std::string_view::npos) {
    if (error) *error = "host cannot contain a comma (\",\")";
    return std::nullopt;
  }
  auto range = parse_port_range(hp->ports, error);
  if (!range) return std::nullopt;
  if (hp->host.empty()) {
    if (error) *error = "empty protocol";
    return std::nullopt;
  }
  ip.ports.push_back(*range);
  if (hp->host != "*") {
    auto number = parse_proto_number(hp->host, error);
    if (!number) return std::nullopt;
    // Protocol 0 is how Tailscale spells "the default protocols".
    size_t colon = s.rfind(':');
    if (*number != 0)
      ip.proto = Proto{*number, std::string(s.substr(0, colon)), pos};
  }
  return ip;
}

}  // namespace aclc::policy
