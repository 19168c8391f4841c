#include "control/etag.h"

#include <sodium.h>

#include <vector>

namespace aclc::control {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The comma-separated entity tags of a header, unquoted.
std::vector<std::string> tag_list(std::string_view header) {
  std::vector<std::string> out;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    if (!item.empty()) out.push_back(unquote_etag(item));
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

// Both are public hashes, but a constant-time compare costs nothing here.
bool same_tag(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string policy_etag(std::string_view text) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

std::string quote_etag(std::string_view tag) { return "\"" + std::string(tag) + "\""; }

std::string unquote_etag(std::string_view sent) {
  std::string_view s = trim(sent);
  if (s.substr(0, 2) == "W/") s.remove_prefix(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool IfMatch::matches(std::string_view current, bool is_default) const {
  if (!present || any) return true;
  for (const std::string& t : tag_list(tags)) {
    if (t == "*") return true;
    if (t == "ts-default" && is_default) return true;
    if (same_tag(t, current)) return true;
  }
  return false;
}

IfMatch parse_if_match(std::string_view header, bool present) {
  IfMatch m;
  m.present = present;
  if (!present) return m;
  m.tags = std::string(header);
  for (const std::string& t : tag_list(header)) {
    if (t == "*") m.any = true;
    if (t == "ts-default") m.ts_default = true;
  }
  return m;
}

bool none_match_hits(std::string_view header, std::string_view current) {
  for (const std::string& t : tag_list(header))
    if (t == "*" || same_tag(t, current)) return true;
  return false;
}

}  // namespace aclc::control
