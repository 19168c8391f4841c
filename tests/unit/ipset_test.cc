#include "compiler/ir/ipset.h"

#include <doctest/doctest.h>

#include <bitset>
#include <random>
#include <string>
#include <vector>

using namespace aclc;

namespace {

using Strings = std::vector<std::string>;

Addr A(const char* s) {
  auto a = parse_addr(s);
  REQUIRE_MESSAGE(a, s);
  return *a;
}

Prefix P(const char* s) {
  auto p = parse_prefix(s);
  REQUIRE_MESSAGE(p, s);
  return *p;
}

Strings prefix_strings(const std::vector<Prefix>& ps) {
  Strings out;
  for (const Prefix& p : ps) out.push_back(to_string(p));
  return out;
}

// A 256-address window at `base` with the set and its brute-force model.
struct Model {
  Family family;
  u128 base;
  IPSet set;
  std::bitset<256> bits;

  Addr at(int i) const { return Addr(family, base + static_cast<u128>(i)); }
};

Model random_model(std::mt19937& rng, Family f, u128 base) {
  Model m{f, base, {}, {}};
  int n = std::uniform_int_distribution<int>(0, 6)(rng);
  std::uniform_int_distribution<int> pos(0, 255);
  for (int k = 0; k < n; ++k) {
    int a = pos(rng), b = pos(rng);
    if (a > b) std::swap(a, b);
    if (rng() % 3 == 0) b = a;  // single addresses too
    m.set.add_range(m.at(a), m.at(b));
    for (int i = a; i <= b; ++i) m.bits.set(i);
  }
  return m;
}

void check_matches(const IPSet& s, const Model& window, const std::bitset<256>& expected) {
  for (int i = 0; i < 256; ++i) {
    CHECK_MESSAGE(s.contains(window.at(i)) == expected.test(i), "offset " << i << " in " << s);
  }
  // Merged: intervals are ascending and no two touch.
  auto iv = s.intervals(window.family);
  for (size_t k = 1; k < iv.size(); ++k) CHECK(iv[k - 1].last + 1 < iv[k].first);
}

// The fewest aligned blocks covering exactly the members of [lo, lo+size).
int min_cover(const std::bitset<256>& bits, int lo, int size) {
  bool all = true, none = true;
  for (int i = lo; i < lo + size; ++i) {
    if (bits.test(i)) {
      none = false;
    } else {
      all = false;
    }
  }
  if (none) return 0;
  if (all) return 1;
  return min_cover(bits, lo, size / 2) + min_cover(bits, lo + size / 2, size / 2);
}

}  // namespace

TEST_CASE("set algebra matches a brute-force model") {
  std::mt19937 rng(7);
  // Windows at the bottom, in the middle and at the very top of each family,
  // so that +1/-1 at the edges of the address space are exercised.
  const std::vector<std::pair<Family, u128>> windows = {
      {Family::V4, 0},
      {Family::V4, 0x0a000000},
      {Family::V4, 0xffffff00},
      {Family::V6, 0},
      {Family::V6, ~u128{0} - 255},
  };
  for (auto [family, base] : windows) {
    for (int iter = 0; iter < 300; ++iter) {
      Model a = random_model(rng, family, base);
      Model b = random_model(rng, family, base);
      check_matches(a.set, a, a.bits);
      check_matches(a.set | b.set, a, a.bits | b.bits);
      check_matches(a.set & b.set, a, a.bits & b.bits);
      check_matches(a.set - b.set, a, a.bits & ~b.bits);
      CHECK(a.set.overlaps(b.set) == (a.bits & b.bits).any());
      CHECK(a.set.contains(b.set) == ((b.bits & ~a.bits).none()));
      CHECK((a.set == b.set) == (a.bits == b.bits));
      CHECK(a.set.empty() == a.bits.none());

      IPSet in_place = a.set;
      in_place |= b.set;
      CHECK(in_place == (a.set | b.set));
      in_place = a.set;
      in_place -= b.set;
      CHECK(in_place == (a.set - b.set));
      in_place = a.set;
      in_place &= b.set;
      CHECK(in_place == (a.set & b.set));

      // Incremental add of the other set's ranges equals the union.
      IPSet added = a.set;
      for (const IPRange& r : b.set.ranges()) added.add(r);
      CHECK(added == (a.set | b.set));

      IPSetBuilder builder;
      builder.add(b.set);
      for (const IPRange& r : a.set.ranges()) builder.add(r);
      CHECK(std::move(builder).build() == (a.set | b.set));

      // contains/overlaps of an aligned block.
      int bits = std::uniform_int_distribution<int>(0, 8)(rng);
      int size = 1 << bits;
      int start = std::uniform_int_distribution<int>(0, 256 / size - 1)(rng) * size;
      Prefix p{a.at(start), family_bits(family) - bits};
      bool all = true, any = false;
      for (int i = start; i < start + size; ++i) {
        if (a.bits.test(i)) {
          any = true;
        } else {
          all = false;
        }
      }
      CHECK(a.set.contains(p) == all);
      CHECK(a.set.overlaps(p) == any);

      // The CIDR cover is exact, aligned, ascending and minimal.
      std::vector<Prefix> cover = a.set.to_prefixes();
      IPSet rebuilt;
      for (size_t k = 0; k < cover.size(); ++k) {
        CHECK(cover[k].is_masked());
        if (k > 0) CHECK(cover[k - 1].last() < cover[k].first());
        rebuilt.add(cover[k]);
      }
      CHECK(rebuilt == a.set);
      CHECK(cover.size() == static_cast<size_t>(min_cover(a.bits, 0, 256)));
    }
  }
}

TEST_CASE("families are kept apart") {
  IPSet s;
  s.add(A("1.2.3.4"));
  s.add(A("::1.2.3.4"));
  CHECK(s.range_count() == 2);
  CHECK(s.range_count(Family::V4) == 1);
  CHECK(s.range_count(Family::V6) == 1);
  IPSet v4;
  v4.add(P("0.0.0.0/0"));
  CHECK((s - v4).to_strings() == Strings{"::102:304"});
  CHECK((s & v4).to_strings() == Strings{"1.2.3.4"});
  CHECK_FALSE(v4.contains(A("::1")));
  // A range across families is not a range.
  IPSet untouched;
  untouched.add_range(A("1.2.3.4"), A("::1"));
  untouched.add_range(A("1.2.3.5"), A("1.2.3.4"));
  CHECK(untouched.empty());
}

TEST_CASE("adding merges overlapping and adjacent ranges") {
  IPSet s;
  s.add(A("10.0.0.5"));
  s.add(A("10.0.0.7"));
  CHECK(s.range_count() == 2);
  s.add(A("10.0.0.6"));
  CHECK(s.range_count() == 1);
  CHECK(s.to_strings() == Strings{"10.0.0.5-10.0.0.7"});
  s.add(P("10.0.0.0/24"));
  CHECK(s.to_strings() == Strings{"10.0.0.0/24"});
  s.add(P("10.0.1.0/24"));
  CHECK(s.to_strings() == Strings{"10.0.0.0/23"});
  s.add(P("9.0.0.0/8"));
  CHECK(s.to_strings() == Strings{"9.0.0.0-10.0.1.255"});
  s.add_range(A("0.0.0.0"), A("255.255.255.255"));
  CHECK(s.to_strings() == Strings{"0.0.0.0/0"});
}

TEST_CASE("to_strings uses Tailscale's encodings") {
  IPSet s;
  s.add(A("100.64.0.1"));
  s.add(Prefix::host(A("fd7a:115c:a1e0::9737:cd7e")));
  s.add(P("10.33.0.0/16"));
  s.add_range(A("192.168.0.1"), A("192.168.0.2"));
  CHECK(s.to_strings() ==
        Strings{"10.33.0.0/16", "100.64.0.1", "192.168.0.1-192.168.0.2", "fd7a:115c:a1e0::9737:cd7e"});
  CHECK(s.to_strings(RangeForm::Ranges) == Strings{"10.33.0.0-10.33.255.255", "100.64.0.1",
                                                   "192.168.0.1-192.168.0.2", "fd7a:115c:a1e0::9737:cd7e"});
  CHECK(IPSet::all_addresses().to_strings() == Strings{"0.0.0.0/0", "::/0"});
  CHECK(IPSet().to_strings().empty());
}

TEST_CASE("tailnet sets: the `*` source expansion") {
  CHECK(IPSet::tailnet_v4().to_strings() == Strings{"100.64.0.0-100.115.91.255", "100.115.94.0-100.127.255.255"});
  CHECK(IPSet::tailnet_all().to_strings() ==
        Strings{"100.64.0.0-100.115.91.255", "100.115.94.0-100.127.255.255", "fd7a:115c:a1e0::/48"});
  // The client's view of the same set (reference §5.2 worked example).
  CHECK(prefix_strings(IPSet::tailnet_v4().to_prefixes()) ==
        Strings{"100.64.0.0/11", "100.96.0.0/12", "100.112.0.0/15", "100.114.0.0/16", "100.115.0.0/18",
                "100.115.64.0/20", "100.115.80.0/21", "100.115.88.0/22", "100.115.94.0/23", "100.115.96.0/19",
                "100.115.128.0/17", "100.116.0.0/14", "100.120.0.0/13"});
  CHECK(IPSet::tailnet_all().contains(A("100.64.0.1")));
  CHECK_FALSE(IPSet::tailnet_all().contains(A("100.115.92.1")));
  CHECK(IPSet::tailnet_all().contains(A("fd7a:115c:a1e0::1")));
  CHECK_FALSE(IPSet::tailnet_all().contains(P("100.115.92.0/22")));
  CHECK(IPSet::tailnet_all().overlaps(P("100.115.92.0/22")));
}

TEST_CASE("internet: Tailscale's autogroup:internet strings") {
  // As recorded from the SaaS (conformance routes-b18).
  CHECK(IPSet::internet().to_strings(RangeForm::Ranges) ==
        Strings{"0.0.0.0-9.255.255.255", "11.0.0.0-100.63.255.255", "100.128.0.0-169.253.255.255",
                "169.255.0.0-172.15.255.255", "172.32.0.0-192.167.255.255", "192.169.0.0-255.255.255.255",
                "2000::-3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"});
  CHECK(IPSet::internet().to_strings().back() == "2000::/3");
  CHECK(IPSet::internet().contains(A("8.8.8.8")));
  CHECK_FALSE(IPSet::internet().contains(A("10.1.2.3")));
  CHECK_FALSE(IPSet::internet().contains(A("fd7a:115c:a1e0::1")));
  CHECK(IPSet::internet().contains(P("8.8.8.0/24")));
  CHECK_FALSE(IPSet::internet().overlaps(IPSet::tailnet_all()));
}

TEST_CASE("minimal CIDR cover of known ranges") {
  IPSet s;
  s.add_range(A("100.64.0.0"), A("100.115.91.255"));
  CHECK(s.to_prefixes().size() == 8);
  IPSet all6;
  all6.add_range(A("::"), A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  CHECK(prefix_strings(all6.to_prefixes()) == Strings{"::/0"});
  IPSet odd;
  odd.add_range(A("0.0.0.1"), A("255.255.255.254"));
  CHECK(odd.to_prefixes().size() == 62);  // 31 blocks climbing up, 31 down
  IPSet top;
  top.add_range(A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  CHECK(prefix_strings(top.to_prefixes()) == Strings{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"});
  CHECK(prefix_strings(IPSet::internet().to_prefixes()).back() == "2000::/3");
}

TEST_CASE("parse_range") {
  auto r = parse_range("100.64.0.0-100.115.91.255");
  REQUIRE(r);
  CHECK(to_string(r->first) == "100.64.0.0");
  CHECK(to_string(r->last) == "100.115.91.255");
  CHECK(to_string(*r) == "100.64.0.0-100.115.91.255");
  auto r6 = parse_range("2000::-3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  REQUIRE(r6);
  IPSet s;
  s.add(*r6);
  CHECK(s.to_strings() == Strings{"2000::/3"});
  CHECK(parse_range("1.2.3.4-1.2.3.4"));
  CHECK(parse_range("1.2.3.4-1.2.3.4")->is_single_addr());
  for (const char* bad : {"1.2.3.4", "1.2.3.5-1.2.3.4", "1.2.3.4-::1", "1.2.3.4-1.2.3.5-1.2.3.6", "-1.2.3.4",
                          "1.2.3.4-", "1.2.3.4 - 1.2.3.5", "10.0.0.0/8-10.0.0.255"}) {
    CHECK_MESSAGE(!parse_range(bad), bad);
  }
}
