#include "compiler/front/selector.h"

#include <doctest/doctest.h>

using namespace aclc;
using namespace aclc::policy;

namespace {

Selector must(std::string_view text) {
  std::string err;
  auto s = classify_selector(text, Pos{1, 1, 0}, &err);
  INFO(text, " -> ", err);
  REQUIRE(s.has_value());
  return *s;
}

std::string error_of(std::string_view text) {
  std::string err;
  auto s = classify_selector(text, Pos{1, 1, 0}, &err);
  return s ? "" : err;
}

}  // namespace

TEST_CASE("selector: each form is classified") {
  CHECK(must("*").kind == SelectorKind::Wildcard);
  CHECK(must("alice@example.com").kind == SelectorKind::User);
  CHECK(must("alice@").kind == SelectorKind::User);
  Selector d = must("user:*@example.com");
  CHECK(d.kind == SelectorKind::UserDomain);
  CHECK(d.name == "example.com");
  CHECK(must("group:eng").kind == SelectorKind::Group);
  CHECK(must("tag:prod").name == "tag:prod");
  Selector a = must("autogroup:member");
  CHECK(a.kind == SelectorKind::Autogroup);
  CHECK(a.name == "member");
  CHECK(must("ipset:office").kind == SelectorKind::IPSet);
  CHECK(must("posture:latestMac").kind == SelectorKind::Posture);
  Selector n = must("web-1");
  CHECK(n.kind == SelectorKind::Name);
  CHECK_FALSE(n.host_alias);
}

TEST_CASE("selector: addresses, prefixes, brackets and ranges") {
  Selector p = must("100.64.0.1");
  CHECK(p.kind == SelectorKind::Prefix);
  CHECK(p.prefix == Prefix::host(*parse_addr("100.64.0.1")));
  Selector c = must("10.1.2.3/8");
  CHECK(c.prefix == *parse_prefix("10.0.0.0/8"));  // masked
  Selector v6 = must("[fd7a::1]");
  CHECK(v6.prefix == Prefix::host(*parse_addr("fd7a::1")));
  CHECK(must("[fd7a::]/48").prefix.bits == 48);
  CHECK(must("fd7a::1").kind == SelectorKind::Prefix);
  Selector r = must("100.64.0.1-100.64.0.9");
  CHECK(r.kind == SelectorKind::Range);
  CHECK(r.prefix.addr == *parse_addr("100.64.0.1"));
  CHECK(r.range_last == *parse_addr("100.64.0.9"));
}

TEST_CASE("selector: what cannot be a selector says why") {
  CHECK(error_of("10.0.0.300") == "\"10.0.0.300\": invalid address");
  CHECK(error_of("10.0.0.0/40") == "\"10.0.0.0/40\": invalid address");
  CHECK(error_of("[1.2.3.4]") == "\"[1.2.3.4]\": invalid address");
  CHECK(error_of("[fd7a::1") == "\"[fd7a::1\": invalid address");
  CHECK(error_of("10.0.0.9-10.0.0.1") == "\"10.0.0.9-10.0.0.1\": invalid IP range");
  CHECK(error_of("") == "\"\": invalid address");
}

TEST_CASE("selector: trimming, tag names, device names, autogroups") {
  CHECK(trim_space(" \ttag:x \n") == "tag:x");
  CHECK(trim_space("   ") == "");
  CHECK_FALSE(check_tag_name("tag:prod-1"));
  CHECK(check_tag_name("tag:1prod") == "tag names must start with a letter, after 'tag:'");
  CHECK(check_tag_name("tag:\xd1\x81") == "tag names must start with a letter, after 'tag:'");
  CHECK(check_tag_name("tag:a_b") == "tag names can only contain numbers, letters, or dashes");
  CHECK(check_tag_name("tag:") == "tag names must not be empty");
  CHECK(plausible_device_name("ctmprod"));
  CHECK(plausible_device_name("db-1.example"));
  CHECK_FALSE(plausible_device_name("%bogus%"));
  CHECK_FALSE(plausible_device_name("-x"));
  CHECK(known_autogroup("self"));
  CHECK(known_autogroup("danger-all"));
  CHECK_FALSE(known_autogroup("everyone"));
}
