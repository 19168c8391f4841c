#include "compiler/ir/addr.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

using namespace aclc;

namespace {

std::string roundtrip(const char* s) {
  auto a = parse_addr(s);
  REQUIRE_MESSAGE(a.has_value(), s);
  return to_string(*a);
}

}  // namespace

TEST_CASE("parse_addr accepts IPv4 dotted quads") {
  auto a = parse_addr("100.64.0.1");
  REQUIRE(a);
  CHECK(a->is_v4());
  CHECK(a->v4() == 0x64400001u);
  CHECK(roundtrip("0.0.0.0") == "0.0.0.0");
  CHECK(roundtrip("255.255.255.255") == "255.255.255.255");
  CHECK(roundtrip("10.0.0.10") == "10.0.0.10");
}

TEST_CASE("parse_addr rejects malformed IPv4 like Go's netip") {
  for (const char* bad : {"", "1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.00", "256.1.1.1",
                          "1.2.3.256", "1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4",
                          "0x1.2.3.4", "1.2.3.4/32", "1.2.3.4:80", "1.2.3.4::", "1.2.3.4%eth0", "a.b.c.d"}) {
    CHECK_MESSAGE(!parse_addr(bad), bad);
  }
}

TEST_CASE("parse_addr accepts IPv6 forms") {
  CHECK(roundtrip("::") == "::");
  CHECK(roundtrip("::1") == "::1");
  CHECK(roundtrip("1::") == "1::");
  CHECK(roundtrip("2001:db8::1") == "2001:db8::1");
  CHECK(roundtrip("fd7a:115c:a1e0::9737:cd7e") == "fd7a:115c:a1e0::9737:cd7e");
  CHECK(roundtrip("FD7A:115C:A1E0::1") == "fd7a:115c:a1e0::1");
  CHECK(roundtrip("0001:0002:0003:0004:0005:0006:0007:0008") == "1:2:3:4:5:6:7:8");
  CHECK(roundtrip("1:2:3:4:5:6:1.2.3.4") == "1:2:3:4:5:6:102:304");
  CHECK(roundtrip("1::1.2.3.4") == "1::102:304");
  auto a = parse_addr("::ffff:1.2.3.4");
  REQUIRE(a);
  CHECK(a->is_v6());
  CHECK(a->is_v4_mapped());
}

TEST_CASE("parse_addr rejects malformed IPv6 like Go's netip") {
  for (const char* bad : {":", ":::", "1:::2", "1::2::3", ":1", "1:", "1:2", "1:2:3:4:5:6:7",
                          "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:1.2.3.4", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "12345::", "g::",
                          "[::1]", "fe80::1%eth0", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4:5", "::01.2.3.4",
                          "::ffff:1.2.3", "::ffff:1.2.3.4.5", "1:2:3:4:5:6:7:8:1.2.3.4", ":: ", "::/0", "-::1"}) {
    CHECK_MESSAGE(!parse_addr(bad), bad);
  }
}

TEST_CASE("to_string follows RFC 5952 as Go prints it") {
  CHECK(roundtrip("2001:0db8:0000:0000:0000:0000:0000:0001") == "2001:db8::1");
  // Two runs of equal length: the first is compressed.
  CHECK(roundtrip("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1");
  // The longer run wins even when it comes second.
  CHECK(roundtrip("1:0:0:2:0:0:0:3") == "1:0:0:2::3");
  CHECK(roundtrip("0:1:0:0:1:0:0:0") == "0:1:0:0:1::");
  // A single zero group is not compressed.
  CHECK(roundtrip("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1");
  CHECK(roundtrip("0:0:0:0:0:0:0:0") == "::");
  CHECK(roundtrip("0:0:0:0:0:0:0:1") == "::1");
  CHECK(roundtrip("1:0:0:0:0:0:0:0") == "1::");
  CHECK(roundtrip("fe80:0:0:0:0:0:0:0") == "fe80::");
  CHECK(roundtrip("0:0:1:0:0:0:0:0") == "0:0:1::");
  // IPv4-mapped prints in mixed form; IPv4-compatible does not.
  CHECK(roundtrip("::ffff:1.2.3.4") == "::ffff:1.2.3.4");
  CHECK(roundtrip("::ffff:102:304") == "::ffff:1.2.3.4");
  CHECK(roundtrip("::ffff:0.0.0.0") == "::ffff:0.0.0.0");
  CHECK(roundtrip("::1.2.3.4") == "::102:304");
  CHECK(roundtrip("0:0:0:0:0:fffe:102:304") == "::fffe:102:304");
}

TEST_CASE("random addresses survive a format and parse round trip") {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 5000; ++i) {
    u128 v = (u128{rng()} << 64) | rng();
    // Mask some groups to zero so that compression paths are exercised.
    uint64_t zero_mask = rng();
    for (int g = 0; g < 8; ++g) {
      if ((zero_mask >> (g * 2) & 3) == 0) v &= ~(u128{0xffff} << (16 * g));
    }
    Addr a(Family::V6, v);
    auto back = parse_addr(to_string(a));
    REQUIRE_MESSAGE(back, to_string(a));
    CHECK(*back == a);
    Addr a4(static_cast<uint32_t>(rng()));
    auto back4 = parse_addr(to_string(a4));
    REQUIRE(back4);
    CHECK(*back4 == a4);
  }
}

TEST_CASE("Addr constructors, accessors and ordering") {
  std::array<uint8_t, 16> b{0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0, 0, 0, 0, 0, 0, 0x97, 0x37, 0xcd, 0x7e};
  Addr a(b);
  CHECK(to_string(a) == "fd7a:115c:a1e0::9737:cd7e");
  CHECK(a.bytes() == b);
  Addr v4(0x01020304u);
  CHECK(to_string(v4) == "1.2.3.4");
  CHECK(v4.bytes() == std::array<uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4});
  CHECK(Addr(0x01020304u) < Addr(0x01020305u));
  CHECK(Addr(0xffffffffu) < Addr(Family::V6, 0));  // v4 before v6
  CHECK(Addr(0x01020304u) != Addr(Family::V6, 0x01020304u));
  CHECK(to_string(max_value(Family::V4)) == "255.255.255.255");
  CHECK(to_string(max_value(Family::V6)) == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(std::hash<Addr>{}(Addr(1u)) != std::hash<Addr>{}(Addr(2u)));
}

TEST_CASE("parse_prefix is strict about the length") {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/-1",
                          "10.0.0.0/ 8", "10.0.0.0/8/8", "/8", "::/129", "::/0128", "01.0.0.0/8",
                          "[::]/0", "10.0.0.0/1000"}) {
    CHECK_MESSAGE(!parse_prefix(bad), bad);
  }
  auto p = parse_prefix("10.0.0.0/8");
  REQUIRE(p);
  CHECK(p->bits == 8);
  CHECK(p->is_masked());
  CHECK(to_string(*p) == "10.0.0.0/8");
  CHECK(parse_prefix("0.0.0.0/0"));
  CHECK(parse_prefix("::/0"));
  CHECK(parse_prefix("::/128"));
  CHECK(parse_prefix("1.2.3.4/32"));
  CHECK(to_string(*parse_prefix("::ffff:1.2.3.0/120")) == "::ffff:1.2.3.0/120");
}

TEST_CASE("prefix host bits are detected, kept as written, and maskable") {
  auto p = parse_prefix("8.8.8.8/24");
  REQUIRE(p);
  CHECK_FALSE(p->is_masked());
  CHECK(to_string(*p) == "8.8.8.8/24");  // for "<prefix> contains non-network bits set"
  CHECK(to_string(p->masked()) == "8.8.8.0/24");
  CHECK(p->masked().is_masked());
  auto q = parse_prefix("fd7a:115c:a1e0::1/48");
  REQUIRE(q);
  CHECK_FALSE(q->is_masked());
  CHECK(to_string(q->masked()) == "fd7a:115c:a1e0::/48");
  CHECK(parse_prefix("1.2.3.4/32")->is_masked());
  CHECK_FALSE(parse_prefix("1.2.3.4/0")->is_masked());
}

TEST_CASE("prefix first, last, contains, overlaps") {
  Prefix p = *parse_prefix("100.64.0.0/10");
  CHECK(to_string(p.first()) == "100.64.0.0");
  CHECK(to_string(p.last()) == "100.127.255.255");
  CHECK(p.contains(*parse_addr("100.100.1.1")));
  CHECK_FALSE(p.contains(*parse_addr("100.128.0.0")));
  CHECK_FALSE(p.contains(*parse_addr("::100.100.1.1")));
  CHECK(p.overlaps(*parse_prefix("100.115.92.0/23")));
  CHECK(p.overlaps(*parse_prefix("0.0.0.0/0")));
  CHECK_FALSE(p.overlaps(*parse_prefix("100.128.0.0/9")));
  CHECK_FALSE(p.overlaps(*parse_prefix("::/0")));
  Prefix all6 = *parse_prefix("::/0");
  CHECK(to_string(all6.last()) == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  Prefix all4 = *parse_prefix("0.0.0.0/0");
  CHECK(to_string(all4.last()) == "255.255.255.255");
  Prefix host = *parse_prefix("8.8.8.8/24");  // host bits do not shift the block
  CHECK(to_string(host.first()) == "8.8.8.0");
  CHECK(host.contains(*parse_addr("8.8.8.1")));
  CHECK(Prefix::host(*parse_addr("::1")).bits == 128);
  CHECK(Prefix::host(*parse_addr("::1")).is_single_addr());
}

TEST_CASE("parse_addr_or_prefix") {
  auto a = parse_addr_or_prefix("100.103.8.15");
  REQUIRE(a);
  CHECK(to_string(*a) == "100.103.8.15/32");
  auto b = parse_addr_or_prefix("fd00:1::/64");
  REQUIRE(b);
  CHECK(to_string(*b) == "fd00:1::/64");
  CHECK_FALSE(parse_addr_or_prefix("tag:server"));
  CHECK_FALSE(parse_addr_or_prefix("10.0.0.0/33"));
}

TEST_CASE("well-known Tailscale prefixes") {
  CHECK(to_string(cgnat_prefix()) == "100.64.0.0/10");
  CHECK(to_string(chromeos_vm_prefix()) == "100.115.92.0/23");
  CHECK(to_string(tailscale_ula_prefix()) == "fd7a:115c:a1e0::/48");
  CHECK(cgnat_prefix().is_masked());
  CHECK(chromeos_vm_prefix().is_masked());
  CHECK(tailscale_ula_prefix().is_masked());
}
