#include "compiler/front/selector.h"

#include "compiler/ir/ipset.h"

namespace aclc::policy {
namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
         c == '\f';
}

bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// Looks like an attempt at an address: only hex digits, '.', ':' and '/'
// (with at least one '.' or ':'), so "10.0.0.300" or "10.0.0.0/40" is a
// bad address rather than a host name.
bool looks_like_address(std::string_view s) {
  bool sep = false;
  for (unsigned char c : s) {
    if (c == '.' || c == ':') {
      sep = true;
    } else if (!(is_digit(c) || c == '/' || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  if (!sep) return false;
  // "cafe.bad" is a plausible host name; require a digit to call it an
  // address.
  for (unsigned char c : s)
    if (is_digit(c)) return true;
  return false;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<std::string> check_tag_name(std::string_view tag) {
  if (!starts_with(tag, "tag:")) return "tags must start with 'tag:'";
  std::string_view name = tag.substr(4);
  if (name.empty()) return "tag names must not be empty";
  if (!is_alpha(name[0])) return "tag names must start with a letter, after 'tag:'";
  for (unsigned char c : name)
    if (!is_alpha(c) && !is_digit(c) && c != '-')
      return "tag names can only contain numbers, letters, or dashes";
  return std::nullopt;
}

bool plausible_device_name(std::string_view name) {
  if (name.empty() || name.front() == '-' || name.front() == '.') return false;
  for (unsigned char c : name)
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

bool known_autogroup(std::string_view name) {
  static const char* const kKnown[] = {
      "member",  "members",       "tagged",       "self",
      "internet", "danger-all",   "admin",        "owner",
      "it-admin", "network-admin", "billing-admin", "auditor",
      "shared",  "nonroot",
  };
  for (const char* k : kKnown)
    if (name == k) return true;
  return false;
}

std::optional<Selector> classify_selector(std::string_view text, Pos pos,
                                          std::string* error) {
  Selector sel;
  sel.text = std::string(text);
  sel.pos = pos;
  auto fail = [&](const std::string& msg) -> std::optional<Selector> {
    if (error) *error = msg;
    return std::nullopt;
  };

  if (text == "*") {
    sel.kind = SelectorKind::Wildcard;
    sel.name = "*";
    return sel;
  }

  // Addresses: "[v6]" and "[v6]/n" (brackets as in host:port), bare
  // addresses, prefixes and "a-b" ranges.
  std::string addr_text(text);
  bool bracketed = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return fail(quoted(text) + ": invalid address");
    addr_text = std::string(text.substr(1, close - 1)) +
                std::string(text.substr(close + 1));
    bracketed = true;
  }
  if (auto p = parse_addr_or_prefix(addr_text)) {
    if (bracketed && !p->addr.is_v6()) return fail(quoted(text) + ": invalid address");
    sel.kind = SelectorKind::Prefix;
    sel.prefix = p->masked();
    sel.name = to_string(sel.prefix);
    return sel;
  }
  if (bracketed) return fail(quoted(text) + ": invalid address");
  if (text.find('-') != std::string_view::npos && looks_like_address(
          std::string(text.substr(0, text.find('-'))))) {
    auto r = parse_range(text);
    if (!r) return fail(quoted(text) + ": invalid IP range");
    sel.kind = SelectorKind::Range;
    sel.prefix = Prefix::host(r->first);
    sel.range_last = r->last;
    sel.name = std::string(text);
    return sel;
  }

  if (text.find('@') != std::string_view::npos) {
    if (starts_with(text, "user:*@")) {
      sel.kind = SelectorKind::UserDomain;
      sel.name = std::string(text.substr(7));
      return sel;
    }
    sel.kind = SelectorKind::User;
    sel.name = std::string(text);
    return sel;
  }

  struct PrefixKind {
    const char* prefix;
    SelectorKind kind;
  };
  static const PrefixKind kPrefixes[] = {
      {"group:", SelectorKind::Group},   {"tag:", SelectorKind::Tag},
      {"autogroup:", SelectorKind::Autogroup}, {"ipset:", SelectorKind::IPSet},
      {"posture:", SelectorKind::Posture},
  };
  for (const auto& pk : kPrefixes) {
    if (starts_with(text, pk.prefix)) {
      sel.kind = pk.kind;
      sel.name = pk.kind == SelectorKind::Autogroup
                     ? std::string(text.substr(10))
                     : std::string(text);
      return sel;
    }
  }

  if (text.empty()) return fail(quoted(text) + ": invalid address");
  if (looks_like_address(text)) return fail(quoted(text) + ": invalid address");
  sel.kind = SelectorKind::Name;
  sel.name = std::string(text);
  return sel;
}

}  // namespace aclc::policy
