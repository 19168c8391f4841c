// Keys, endpoints and prefixes as UAPI text (runtime/uapi/key_hex.h,
// endpoint_text.h): what wireguard-go's Go parsers accept and print.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "runtime/uapi/endpoint_text.h"
#include "runtime/uapi/key_hex.h"

using namespace aclc::runtime;
using namespace aclc::runtime::uapi;

namespace {

std::string hex_of(const Key32& key) {
  char hex[kKeyHexLength];
  key_to_hex(key, hex);
  return std::string(hex, sizeof hex);
}

std::string v6(std::string_view text) {
  const auto ip = parse_ip_address(text);
  if (!ip || ip->family != 6) return "(invalid)";
  return format_ip_address(6, ip->address);
}

}  // namespace

TEST_CASE("uapi key hex: lowercase out, either case in, exact length") {
  Key32 key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 37 + 0xa0);
  const std::string hex = hex_of(key);
  CHECK(hex == "a0c5ea0f34597ea3c8ed12375c81a6cbf0153a5f84a9cef3183d6287acd1f61b");
  Key32 back{};
  CHECK(key_from_hex(hex, back));
  CHECK(back == key);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  back = {};
  CHECK(key_from_hex(upper, back));
  CHECK(back == key);

  // Every byte value in every position: only the 22 hex digits pass.
  for (int c = 0; c < 256; ++c) {
    std::string bad = hex;
    bad[17] = static_cast<char>(c);
    const bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    Key32 out;
    out.fill(0x55);
    CHECK_MESSAGE(key_from_hex(bad, out) == is_hex, "byte " << c);
    if (!is_hex) CHECK(out == Key32{});  // zeroed on failure
  }
  Key32 out;
  CHECK_FALSE(key_from_hex(hex.substr(1), out));
  CHECK_FALSE(key_from_hex(hex + "0", out));
  CHECK_FALSE(key_from_hex("", out));

  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    CHECK(key_from_hex(hex_of(key), back));
    CHECK(back == key);
  }
}

TEST_CASE("uapi IPv4 text: four decimal octets, no leading zeros") {
  for (const char* ok : {"0.0.0.0", "1.2.3.4", "255.255.255.255", "10.0.0.1", "100.64.0.10"}) {
    const auto ip = parse_ip_address(ok);
    REQUIRE_MESSAGE(ip, ok);
    CHECK(ip->family == 4);
    CHECK(format_ip_address(4, ip->address) == ok);
  }
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", "1..2.3",
                          ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.a", "1.2.3.-4",
                          "1.2.3.4%eth0", "1234.1.1.1", "0x1.2.3.4"})
    CHECK_MESSAGE(!parse_ip_address(bad), bad);
}

TEST_CASE("uapi IPv6 text: RFC 4291 in, RFC 5952 out (as Go's netip)") {
  CHECK(v6("fd00::1") == "fd00::1");
  CHECK(v6("FD00:0:0:0:0:0:0:1") == "fd00::1");
  CHECK(v6("::") == "::");
  CHECK(v6("::1") == "::1");
  CHECK(v6("1::") == "1::");
  CHECK(v6("0001:0db8:0000:0000:0000:0000:0000:0001") == "1:db8::1");
  CHECK(v6("1:0:0:1:0:0:0:1") == "1:0:0:1::1");     // the longest zero run
  CHECK(v6("1:0:0:2:0:0:3:4") == "1::2:0:0:3:4");   // the first on a tie
  CHECK(v6("1:0:2:3:4:5:6:7") == "1:0:2:3:4:5:6:7");  // one zero field stays
  CHECK(v6("1:2:3:4:5:6:7:8") == "1:2:3:4:5:6:7:8");
  CHECK(v6("::ffff:1.2.3.4") == "::ffff:1.2.3.4");  // IPv4-mapped, printed as Go does
  CHECK(v6("::ffff:102:304") == "::ffff:1.2.3.4");
  CHECK(v6("::1.2.3.4") == "::102:304");            // not mapped: plain hex
  CHECK(v6("1:2:3:4:5:6:1.2.3.4") == "1:2:3:4:5:6:102:304");
  CHECK(v6("fe80::a:b:c:d") == "fe80::a:b:c:d");
  CHECK(v6("0:0:0:0:0:0:0:0") == "::");
  for (const char* bad : {"1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", ":1", "1:", "1:2:3:4:5:6:7::8",
                          ":::", "::ffff:1.2.3", "1.2.3.4::", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:1",
                          "fe80::1%eth0", "g::", "1:2:3:4:5:6:7", "[::1]", "::01.2.3.4", " ::1"})
    CHECK_MESSAGE(!parse_ip_address(bad), bad);
}

TEST_CASE("uapi IPv6 text: random addresses survive format and parse") {
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::array<uint8_t, 16> a{};
    for (auto& b : a) b = static_cast<uint8_t>(rng() % 4 == 0 ? rng() : 0);  // many zero runs
    const std::string text = format_ip_address(6, a);
    const auto back = parse_ip_address(text);
    REQUIRE_MESSAGE(back, text);
    CHECK(back->family == 6);
    CHECK_MESSAGE(back->address == a, text);
  }
}

TEST_CASE("uapi endpoint text") {
  auto ep = parse_endpoint("1.2.3.4:51820");
  REQUIRE(ep);
  CHECK(ep->family == 4);
  CHECK(ep->port == 51820);
  CHECK(ep->address[0] == 1);
  CHECK(ep->address[3] == 4);
  CHECK(format_endpoint(*ep) == "1.2.3.4:51820");

  ep = parse_endpoint("[fd00::1]:51820");
  REQUIRE(ep);
  CHECK(ep->family == 6);
  CHECK(ep->address[0] == 0xfd);
  CHECK(ep->address[15] == 1);
  CHECK(format_endpoint(*ep) == "[fd00::1]:51820");

  CHECK(format_endpoint(*parse_endpoint("[::ffff:127.0.0.1]:1")) == "[::ffff:127.0.0.1]:1");
  CHECK(format_endpoint(*parse_endpoint("127.0.0.1:0")) == "127.0.0.1:0");
  CHECK(format_endpoint(*parse_endpoint("127.0.0.1:065535")) == "127.0.0.1:65535");  // Go allows leading zeros
  CHECK(format_endpoint(*parse_endpoint("[FD00:0::1]:7")) == "[fd00::1]:7");

  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", ":51820", "[1.2.3.4]:5", "::1:5", "fd00::1:5",
                          "[::1]:", "[::1]", "[::1]:65536", "1.2.3.4:-1", "1.2.3.4:+1", "1.2.3.4:0x10",
                          "01.2.3.4:5", "[fe80::1%eth0]:5", "host.example:5", "[::1]x:5", "[::1:5",
                          "1.2.3.4:5 ", "1.2.3.4:99999999999999999999"})
    CHECK_MESSAGE(!parse_endpoint(bad), bad);
  CHECK_FALSE(parse_endpoint("1.2.3.4:" + std::string(200, '1')));  // bounded
}

TEST_CASE("uapi allowed-IP text: host bits masked as wireguard-go's trie does") {
  auto p = parse_allowed_ip("10.0.0.0/8");
  REQUIRE(p);
  CHECK(p->family == 4);
  CHECK(p->bits == 8);
  CHECK(format_allowed_ip(*p) == "10.0.0.0/8");

  CHECK(format_allowed_ip(*parse_allowed_ip("10.1.2.3/8")) == "10.0.0.0/8");
  CHECK(format_allowed_ip(*parse_allowed_ip("10.1.2.255/31")) == "10.1.2.254/31");
  CHECK(format_allowed_ip(*parse_allowed_ip("10.1.2.3/32")) == "10.1.2.3/32");
  CHECK(format_allowed_ip(*parse_allowed_ip("1.2.3.4/0")) == "0.0.0.0/0");
  CHECK(format_allowed_ip(*parse_allowed_ip("fd00::/64")) == "fd00::/64");
  CHECK(format_allowed_ip(*parse_allowed_ip("fd00::1:2:3:4/64")) == "fd00::/64");
  CHECK(format_allowed_ip(*parse_allowed_ip("fd00:1:2:3:4:5:6:7/57")) == "fd00:1:2::/57");
  CHECK(format_allowed_ip(*parse_allowed_ip("fd00:1:2:3:4:5:6:7/63")) == "fd00:1:2:2::/63");
  CHECK(format_allowed_ip(*parse_allowed_ip("fd99::2/128")) == "fd99::2/128");
  CHECK(format_allowed_ip(*parse_allowed_ip("::/0")) == "::/0");
  p = parse_allowed_ip("::ffff:10.0.0.0/104");
  REQUIRE(p);
  CHECK(p->family == 6);  // IPv4-mapped stays IPv6, as in Go
  CHECK(format_allowed_ip(*p) == "::ffff:10.0.0.0/104");

  for (const char* bad : {"", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "fd00::/129", "10.0.0.0/08",
                          "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/8/8", "fe80::%1/64", "/8", "10.0.0/8",
                          "10.0.0.0/ 8", "10.0.0.0 /8", "10.0.0.0/8 ", "10.0.0.0/0x8"})
    CHECK_MESSAGE(!parse_allowed_ip(bad), bad);
}
