// Cryptokey routing table: fixed cases in the spirit of the kernel's
// allowedips selftest, removal, and random inserts/removals/lookups checked
// against a naive longest-prefix model, for IPv4 and IPv6.
#include <doctest/doctest.h>

#include <arpa/inet.h>

#include <map>
#include <random>
#include <string>
#include <tuple>

#include "runtime/wg/allowedips.h"

namespace aclc::wg {
namespace {

std::vector<uint8_t> ip(const char* text) {
  std::vector<uint8_t> b(16);
  if (inet_pton(AF_INET, text, b.data()) == 1) return {b.begin(), b.begin() + 4};
  REQUIRE(inet_pton(AF_INET6, text, b.data()) == 1);
  return b;
}

std::optional<PeerId> at(const AllowedIps& t, const char* text) { return t.lookup(ip(text)); }

TEST_CASE("wg allowedips: longest prefix wins, per family") {
  AllowedIps t;
  enum : PeerId { a = 1, b, c, d, e, f, g, h };
  CHECK(t.insert(ip("192.168.4.0"), 24, a));
  CHECK(t.insert(ip("192.168.4.4"), 32, b));
  CHECK(t.insert(ip("192.168.0.0"), 16, c));
  CHECK(t.insert(ip("192.95.5.64"), 27, d));
  CHECK(t.insert(ip("192.95.5.65"), 27, c));  // same prefix (host bits ignored): moves to c
  CHECK(t.insert(ip("2607:5300:60:6b00::"), 64, c));
  CHECK(t.insert(ip("2607:5300:60:6b00::c05f:543"), 128, e));
  CHECK(t.insert(ip("2607:5300:60:6b00::c02e:1ee"), 128, f));
  CHECK(t.insert(ip("2607:5300:60:6b00::c02e:1"), 128, g));
  CHECK(t.insert(ip("2607:5300::"), 32, h));
  CHECK(t.insert(ip("0.0.0.0"), 0, g));  // default route for IPv4 only

  CHECK(at(t, "192.168.4.20") == a);
  CHECK(at(t, "192.168.4.0") == a);
  CHECK(at(t, "192.168.4.4") == b);
  CHECK(at(t, "192.168.200.182") == c);
  CHECK(at(t, "192.95.5.68") == c);
  CHECK(at(t, "192.95.5.96") == g);
  CHECK(at(t, "10.0.0.1") == g);
  CHECK(at(t, "2607:5300:60:6b00::c05f:543") == e);
  CHECK(at(t, "2607:5300:60:6b00::c02e:1ee") == f);
  CHECK(at(t, "2607:5300:60:6b00::c02e:1") == g);
  CHECK(at(t, "2607:5300:60:6b00::1") == c);
  CHECK(at(t, "2607:5300:60:6b01::1") == h);
  CHECK_FALSE(at(t, "2001:db8::1"));  // the IPv4 default does not cover IPv6

  auto of_c = t.prefixes_of(c);
  REQUIRE(of_c.size() == 3);
  CHECK(of_c[0].address == ip("192.95.5.64"));
  CHECK(of_c[0].length == 27);
  CHECK(of_c[1].address == ip("192.168.0.0"));
  CHECK(of_c[2].address == ip("2607:5300:60:6b00::"));
  CHECK(of_c[2].length == 64);

  t.remove_peer(c);
  CHECK(at(t, "192.168.200.182") == g);
  CHECK(at(t, "192.168.4.20") == a);
  CHECK(at(t, "2607:5300:60:6b00::1") == h);
  CHECK(t.prefixes_of(c).empty());

  CHECK(t.remove(ip("192.168.4.0"), 24));
  CHECK_FALSE(t.remove(ip("192.168.4.0"), 24));
  CHECK_FALSE(t.remove(ip("192.168.4.0"), 25));
  CHECK(at(t, "192.168.4.20") == g);
  CHECK(at(t, "192.168.4.4") == b);
  t.clear();
  CHECK_FALSE(at(t, "192.168.4.4"));
}

TEST_CASE("wg allowedips: bad input changes nothing") {
  AllowedIps t;
  CHECK_FALSE(t.insert(ip("10.0.0.0"), 33, 1));
  CHECK_FALSE(t.insert(ip("::"), 129, 1));
  std::vector<uint8_t> five(5, 0), none;
  CHECK_FALSE(t.insert(five, 8, 1));
  CHECK_FALSE(t.insert(none, 0, 1));
  CHECK_FALSE(t.remove(five, 8));
  CHECK_FALSE(t.lookup(five));
  CHECK_FALSE(t.lookup(none));
  CHECK_FALSE(at(t, "10.0.0.1"));
  CHECK(t.prefixes_of(1).empty());
}

// The naive model: a map of (masked address, length) -> peer; lookup scans
// for the longest containing prefix.
struct Naive {
  std::map<std::pair<std::vector<uint8_t>, unsigned>, PeerId> entries;
  static std::vector<uint8_t> mask(std::vector<uint8_t> a, unsigned len) {
    for (unsigned i = len; i < a.size() * 8; ++i) a[i / 8] &= uint8_t(~(0x80 >> (i % 8)));
    return a;
  }
  std::optional<PeerId> lookup(const std::vector<uint8_t>& a) const {
    std::optional<PeerId> best;
    int best_len = -1;
    for (const auto& [k, peer] : entries)
      if (k.first.size() == a.size() && int(k.second) > best_len && mask(a, k.second) == k.first)
        best = peer, best_len = int(k.second);
    return best;
  }
};

void random_against_model(size_t bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  AllowedIps t;
  Naive n;
  // Addresses from a small pool of /16-ish neighbourhoods so prefixes nest.
  auto random_addr = [&] {
    std::vector<uint8_t> a(bytes);
    for (auto& x : a) x = uint8_t(rng());
    a[0] = uint8_t(rng() % 4);
    if (rng() % 2) a[1] = 0;
    return a;
  };
  for (int step = 0; step < 1500; ++step) {
    unsigned len = unsigned(rng() % (bytes * 8 + 1));
    auto a = random_addr();
    int op = int(rng() % 10);
    if (op < 6) {
      PeerId p = PeerId(rng() % 8);
      REQUIRE(t.insert(a, len, p));
      n.entries[{Naive::mask(a, len), len}] = p;
    } else if (op < 8) {
      bool present = n.entries.erase({Naive::mask(a, len), len}) > 0;
      REQUIRE(t.remove(a, len) == present);
    } else if (op == 8 && step % 53 == 0) {
      PeerId p = PeerId(rng() % 8);
      t.remove_peer(p);
      std::erase_if(n.entries, [p](const auto& kv) { return kv.second == p; });
    }
    for (int q = 0; q < 4; ++q) {
      auto probe = random_addr();
      REQUIRE(t.lookup(probe) == n.lookup(probe));
    }
  }
  for (PeerId p = 0; p < 8; ++p) {
    size_t want = 0;
    for (const auto& kv : n.entries) want += kv.second == p;
    CHECK(t.prefixes_of(p).size() == want);
  }
}

TEST_CASE("wg allowedips: random operations agree with a naive model (IPv4)") { random_against_model(4, 1); }
TEST_CASE("wg allowedips: random operations agree with a naive model (IPv6)") { random_against_model(16, 2); }

}  // namespace
}  // namespace aclc::wg
