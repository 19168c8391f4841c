// The bundle format: round trips, signatures, what open() refuses, and
// decoding that fails closed on every truncation and every flipped byte.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "compiler/back/bundle_build.h"
#include "compiler/back/table_build.h"
#include "compiler/bundle/bundle.h"
#include "tests/unit/lower_fixture.h"

namespace b = aclc::bundle;

namespace {

b::u128 v6(uint64_t hi, uint64_t lo) { return (b::u128(hi) << 64) | lo; }

b::Bundle sample() {
  b::Bundle x;
  x.device = "web-1";
  x.addresses = {{4, 32, 0x64400001}, {6, 128, v6(0xfd7a115ca1e00000ull, 1)}};
  x.revision = "sha256:0123abcd";
  x.serial = 42;
  x.issued_at = 1000;
  x.expires_at = 2000;
  b::Zone z;
  z.dsts.v4 = {{0x64400001, 0x64400001}};
  z.dsts.v6 = {{v6(0xfd7a115ca1e00000ull, 1), v6(0xfd7a115ca1e00000ull, 1)}};
  b::ProtoClass tcp;
  tcp.protos = {6};
  tcp.cells = {{22, 22, {{{0x64400002, 0x64400003}}, {}}},
               {80, 443, {{{0x64400000, 0x647fffff}}, {{v6(1, 0), v6(1, 5)}}}}};
  b::ProtoClass udp_icmp;
  udp_icmp.protos = {1, 17};
  udp_icmp.cells = {{0, 65535, {{{0x0a000000, 0x0affffff}}, {}}}};
  z.classes = {tcp, udp_icmp};
  x.filter = {z};
  b::Peer p;
  p.name = "db-1";
  p.wireguard_key = std::array<uint8_t, 32>{};
  p.wireguard_key->fill(7);
  p.endpoints = {"203.0.113.5:41641"};
  p.allowed_ips = {{4, 32, 0x64400002}, {4, 8, 0x0a000000}};
  b::Peer q;
  q.name = "laptop";
  x.peers = {p, q};
  return x;
}

std::vector<uint8_t> sealed(const b::Bundle& x, const b::SigningKey& k) {
  std::string err;
  auto bytes = b::seal(x, k, err);
  REQUIRE_MESSAGE(bytes, err);
  return *bytes;
}

b::Acceptance accept_for(const b::SigningKey& k, uint64_t now = 1500) {
  b::Acceptance a;
  a.control_key = k.public_key();
  a.now = now;
  return a;
}

}  // namespace

TEST_CASE("bundle: encode then decode gives the same bundle") {
  b::SigningKey k = b::SigningKey::generate();
  b::Bundle x = sample();
  auto bytes = sealed(x, k);
  CHECK(std::equal(b::kMagic.begin(), b::kMagic.end(), bytes.begin()));
  CHECK(bytes[8] == 0);
  CHECK(bytes[9] == 1);  // version 1, big-endian
  std::string err;
  auto back = b::decode(bytes, err);
  REQUIRE_MESSAGE(back, err);
  CHECK(*back == x);
  // Deterministic: Ed25519 signatures are, and so is the encoding.
  CHECK(sealed(x, k) == bytes);
}

TEST_CASE("bundle: open accepts a good bundle and checks signature, serial, expiry, device") {
  b::SigningKey k = b::SigningKey::generate();
  auto bytes = sealed(sample(), k);
  std::string err;

  CHECK(b::open(bytes, accept_for(k), err));

  b::SigningKey other = b::SigningKey::generate();
  CHECK_FALSE(b::open(bytes, accept_for(other), err));
  CHECK(err.find("bad signature") != std::string::npos);

  b::Acceptance a = accept_for(k);
  a.have_last = true;
  a.last_serial = 42;  // replay of the installed bundle
  CHECK_FALSE(b::open(bytes, a, err));
  CHECK(err.find("rollback") != std::string::npos);
  a.last_serial = 41;
  CHECK(b::open(bytes, a, err));

  CHECK_FALSE(b::open(bytes, accept_for(k, 2000), err));
  CHECK(err.find("expired") != std::string::npos);
  CHECK(b::open(bytes, accept_for(k, 1999), err));

  a = accept_for(k);
  a.device = "db-1";
  CHECK_FALSE(b::open(bytes, a, err));
  CHECK(err.find("web-1") != std::string::npos);
}

TEST_CASE("bundle: every flipped bit is refused by open") {
  b::SigningKey k = b::SigningKey::generate();
  auto bytes = sealed(sample(), k);
  std::string err;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto bad = bytes;
    bad[i] ^= uint8_t(1u << (i % 8));
    CHECK_FALSE(b::open(bad, accept_for(k), err));
  }
}

TEST_CASE("bundle: every truncation and every extension fails to decode") {
  b::SigningKey k = b::SigningKey::generate();
  auto bytes = sealed(sample(), k);
  std::string err;
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::span<const uint8_t> cut(bytes.data(), n);
    CHECK_FALSE(b::decode(cut, err));
    CHECK_FALSE(b::open(cut, accept_for(k), err));
  }
  auto longer = bytes;
  longer.insert(longer.end() - b::kSignatureBytes, uint8_t(0));
  CHECK_FALSE(b::decode(longer, err));
  CHECK(err.find("between the peers and the signature") != std::string::npos);
}

TEST_CASE("bundle: random bytes after a valid header never decode into garbage") {
  std::mt19937 rng(7);
  b::SigningKey k = b::SigningKey::generate();
  auto good = sealed(sample(), k);
  std::string err;
  size_t decoded = 0;
  for (int round = 0; round < 2000; ++round) {
    auto bytes = good;
    int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) bytes[rng() % (bytes.size() - 64)] = uint8_t(rng());
    if (auto x = b::decode(bytes, err)) {
      ++decoded;
      // Whatever decodes is canonical: it re-encodes to the same bytes.
      std::string e2;
      auto again = b::encode(*x, e2);
      REQUIRE_MESSAGE(again, e2);
      CHECK(std::equal(again->begin(), again->end(), bytes.begin()));
    }
  }
  CHECK(decoded < 2000);
}

TEST_CASE("bundle: address sets at the edges of both families round-trip") {
  b::SigningKey k = b::SigningKey::generate();
  b::Bundle x = sample();
  b::AddrSet& src = x.filter[0].classes[0].cells[0].sources;
  src.v4 = {{0, 0}, {2, 0xfffffffd}, {0xffffffff, 0xffffffff}};
  src.v6 = {{0, ~b::u128{0}}};
  auto bytes = sealed(x, k);
  std::string err;
  auto back = b::decode(bytes, err);
  REQUIRE_MESSAGE(back, err);
  CHECK(*back == x);
  // Scattered single addresses cost a few bytes each, not 32.
  b::Bundle y = sample();
  y.filter[0].classes[0].cells[0].sources.v6.clear();
  for (uint64_t i = 0; i < 1000; ++i)
    y.filter[0].classes[0].cells[0].sources.v6.push_back(
        {v6(0xfd7a115ca1e00000ull, i * 977), v6(0xfd7a115ca1e00000ull, i * 977)});
  auto small = sealed(y, k);
  CHECK(small.size() < bytes.size() + 1000 * 6);
  REQUIRE(b::decode(small, err));
}

TEST_CASE("bundle: a huge count is rejected before allocating") {
  b::SigningKey k = b::SigningKey::generate();
  b::Bundle x = sample();
  x.filter.clear();
  x.peers.clear();
  std::string err;
  auto body = *b::encode(x, err);
  // The last field is the peer count (4 bytes, 0): claim 2^32-1 peers.
  for (size_t i = body.size() - 4; i < body.size(); ++i) body[i] = 0xff;
  auto bytes = k.sign(body);
  CHECK_FALSE(b::decode(bytes, err));
  CHECK(err.find("count exceeds the data: peers") != std::string::npos);
}

TEST_CASE("bundle: non-canonical structures are refused on encode and decode") {
  std::string err;
  auto refuses = [&](b::Bundle x, const char* why) {
    CHECK_FALSE(b::encode(x, err));
    CHECK_MESSAGE(err.find(why) != std::string::npos, err);
  };
  b::Bundle x = sample();
  x.filter[0].classes[0].cells[0].sources.v4 = {{5, 9}, {10, 12}};  // touching
  refuses(x, "merged");
  x = sample();
  x.filter[0].classes[0].cells[1].port_first = 22;  // overlaps the 22 cell
  refuses(x, "port cells");
  x = sample();
  x.filter[0].classes[1].protos = {6, 17};  // 6 is in the first class
  refuses(x, "two classes");
  x = sample();
  x.filter.push_back(x.filter[0]);  // same destinations twice
  refuses(x, "zones overlap");
  x = sample();
  x.filter[0].classes[0].cells[0].sources = {};
  refuses(x, "no sources");
  x = sample();
  x.peers[0].allowed_ips[1].addr = 0x0a000001;  // 10.0.0.1/8
  refuses(x, "host bits");
  x = sample();
  x.issued_at = 3000;
  refuses(x, "issued after it expires");
}

TEST_CASE("bundle: filter lookup") {
  b::Bundle x = sample();
  const b::u128 self4 = 0x64400001;
  CHECK(x.allows(4, 0x64400002, self4, 6, 22));
  CHECK_FALSE(x.allows(4, 0x64400004, self4, 6, 22));
  CHECK_FALSE(x.allows(4, 0x64400002, self4, 6, 23));
  CHECK(x.allows(4, 0x64412345, self4, 6, 443));
  CHECK_FALSE(x.allows(4, 0x64412345, self4, 6, 444));
  CHECK(x.allows(4, 0x0a010203, self4, 17, 53));
  CHECK(x.allows(4, 0x0a010203, self4, 1, 0));
  CHECK_FALSE(x.allows(4, 0x0a010203, self4, 6, 53));
  CHECK_FALSE(x.allows(4, 0x0a010203, self4, 58, 0));
  CHECK_FALSE(x.allows(4, 0x64400002, 0x64400009, 6, 22));  // not this device
  const b::u128 self6 = v6(0xfd7a115ca1e00000ull, 1);
  CHECK(x.allows(6, v6(1, 3), self6, 6, 80));
  CHECK_FALSE(x.allows(6, v6(1, 6), self6, 6, 80));
  CHECK_FALSE(x.allows(7, 0, 0, 6, 80));
}

TEST_CASE("signing key: text round trip, public key, malformed keys") {
  b::SigningKey k = b::SigningKey::generate();
  std::string text = k.to_text();
  CHECK(text.rfind("aclc-ed25519-secret:", 0) == 0);
  std::string err;
  auto k2 = b::SigningKey::from_text(text, err);
  REQUIRE_MESSAGE(k2, err);
  CHECK(k2->public_key() == k.public_key());

  auto pk = b::public_key_from_text(b::public_key_to_text(k.public_key()), err);
  REQUIRE(pk);
  CHECK(*pk == k.public_key());

  CHECK_FALSE(b::SigningKey::from_text("", err));
  CHECK(err.find("not an aclc signing key") != std::string::npos);
  CHECK_FALSE(b::SigningKey::from_text(b::public_key_to_text(k.public_key()), err));
  CHECK_FALSE(b::SigningKey::from_text("aclc-ed25519-secret:AAAA\n", err));
  CHECK(err.find("malformed signing key") != std::string::npos);
  CHECK_FALSE(b::SigningKey::from_text("aclc-ed25519-secret:!!notbase64!!\n", err));
  // A key signs what only its public key verifies.
  b::Bundle x = sample();
  auto bytes = sealed(x, *k2);
  CHECK(b::open(bytes, accept_for(k), err));
}

// ---- from tables (compiler/back/bundle_build.h) ----


TEST_CASE("bundle build: a device's table survives sealing and opening, lookups agree") {
  using namespace aclc;
  auto l = testing::lower_text(testing::policy_with(R"("acls": [
    {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:web:22"]},
    {"action": "accept", "src": ["group:eng"], "dst": ["tag:web:22,80-443", "lan:*"]},
    {"action": "accept", "src": ["tag:web"], "proto": "tcp", "dst": ["autogroup:internet:443"]}
  ])"));
  table::Builder builder(l.prog, l.inv);
  b::SigningKey k = b::SigningKey::generate();
  b::Stamp stamp{"git:abc123", 9, 100, 200};
  std::mt19937 rng(3);
  for (size_t d = 0; d < l.inv.devices.size(); ++d) {
    table::Table t = builder.for_device(d);
    std::vector<size_t> peers;
    for (size_t p = 0; p < l.inv.devices.size(); ++p)
      if (p != d) peers.push_back(p);
    b::Bundle x = b::make_bundle(l.inv, d, t, peers, stamp);
    auto bytes = sealed(x, k);
    std::string err;
    auto back = b::open(bytes, accept_for(k, 150), err);
    REQUIRE_MESSAGE(back, err);
    CHECK(back->device == l.inv.devices[d].hostname);
    CHECK(back->revision == "git:abc123");
    CHECK(b::from_filter(back->filter) == t);
    REQUIRE(back->peers.size() == peers.size());
    for (size_t i = 0; i < peers.size(); ++i) {
      const Device& p = l.inv.devices[peers[i]];
      CHECK(back->peers[i].name == p.hostname);
      // Addresses, then approved routes (the router's 10.1.0.0/16).
      CHECK(back->peers[i].allowed_ips.size() == p.addresses.size() + p.enabled_routes.size());
    }
    // Random flows into what the device enforces: the bundle's lookup is
    // the table's.
    IPSet enforced = table::enforced_addresses(l.inv.devices[d]);
    std::vector<Addr> srcs = {*parse_addr("100.64.0.20"), *parse_addr("100.64.0.10"),
                              *parse_addr("100.64.0.1"), *parse_addr("fd7a:115c:a1e0::a")};
    for (int i = 0; i < 400; ++i) {
      Addr src = srcs[rng() % srcs.size()];
      auto ivs = enforced.intervals(src.family);
      if (ivs.empty()) continue;
      const Interval& iv = ivs[rng() % ivs.size()];
      Addr dst(src.family, iv.first + (iv.last - iv.first) / 2);
      uint8_t proto = std::array<uint8_t, 3>{6, 17, 1}[rng() % 3];
      uint16_t port = std::array<uint16_t, 5>{22, 80, 443, 444, 5432}[rng() % 5];
      CHECK(back->allows(src.is_v4() ? 4 : 6, src.value, dst.value, proto, port) ==
            t.allows(src, dst, proto, port));
    }
  }
}
