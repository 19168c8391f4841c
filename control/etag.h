// ETags of the policy API. As Tailscale's: the hex SHA-256 of the stored
// policy text, sent quoted ("e0b2…6d9c"). Conditional writes compare them
// with If-Match (RFC 9110 §13.1.1), plus Tailscale's "ts-default".
#pragma once

#include <string>
#include <string_view>

namespace aclc::control {

// 64 lower-case hex digits of SHA-256(text), unquoted.
std::string policy_etag(std::string_view text);

// `"<tag>"`.
std::string quote_etag(std::string_view tag);

// The tag of one entity tag as sent: surrounding whitespace, a weak
// prefix W/ and the quotes removed ("\"abc\"" -> "abc").
std::string unquote_etag(std::string_view sent);

// What an If-Match header asks for.
struct IfMatch {
  bool present = false;     // header sent
  bool any = false;         // "*": the policy exists (always true here)
  bool ts_default = false;  // "ts-default": still the untouched default
  std::string tags;         // the header as sent, for matches()
  // True if the header allows a write over a policy whose ETag is
  // `current` and which is (or is not) the untouched default.
  bool matches(std::string_view current, bool is_default) const;
};

IfMatch parse_if_match(std::string_view header, bool present);

// True if an If-None-Match header names `current` (or is "*").
bool none_match_hits(std::string_view header, std::string_view current);

}  // namespace aclc::control
