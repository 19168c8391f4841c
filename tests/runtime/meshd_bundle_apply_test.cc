#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>

#include "runtime/meshd/bundle_apply.h"
#include "tests/runtime/meshd_test_util.h"

using namespace aclc;
using namespace aclc::meshd;
using namespace aclc::meshd::testing;
using runtime::DeviceConfig;
using runtime::DeviceStatus;
using runtime::Endpoint;
using runtime::Key32;

namespace {

// A ConfigTarget that keeps peers the way UAPI describes and records every
// apply(), so a test sees exactly what the applier asked for.
class RecordingDevice : public runtime::ConfigTarget {
 public:
  int apply(const DeviceConfig& c) override {
    applied.push_back(c);
    if (refuse) return -EINVAL;
    if (c.replace_peers) peers.clear();
    for (const auto& pc : c.peers) {
      auto it = std::find_if(peers.begin(), peers.end(),
                             [&](const auto& p) { return p.public_key == pc.public_key; });
      if (pc.remove) {
        if (it != peers.end()) peers.erase(it);
        continue;
      }
      if (it == peers.end()) {
        if (pc.update_only) continue;
        peers.emplace_back();
        peers.back().public_key = pc.public_key;
        it = peers.end() - 1;
      }
      if (pc.endpoint) it->endpoint = pc.endpoint;
      if (pc.replace_allowed_ips) it->allowed_ips.clear();
      for (const auto& a : pc.add_allowed_ips) it->allowed_ips.push_back(a);
    }
    return 0;
  }
  DeviceStatus status() const override {
    DeviceStatus s;
    s.peers = peers;
    return s;
  }
  const runtime::PeerStatus* peer(uint8_t fill) const {
    for (const auto& p : peers)
      if (p.public_key == wg_key(fill)) return &p;
    return nullptr;
  }

  bool refuse = false;
  std::vector<DeviceConfig> applied;
  std::vector<runtime::PeerStatus> peers;
};

struct Fixture {
  RecordingDevice device;
  std::vector<std::shared_ptr<const bundle::Bundle>> filters;
  std::vector<std::vector<bundle::Prefix>> addresses;
  BundleApplier applier{ApplyTargets{
      device, [this](std::shared_ptr<const bundle::Bundle> b) { filters.push_back(b); },
      [this](const bundle::Bundle& b) {
        addresses.push_back(b.addresses);
        return std::string();
      }}};
};

std::shared_ptr<const bundle::Bundle> share(bundle::Bundle b) {
  return std::make_shared<const bundle::Bundle>(std::move(b));
}

Endpoint ep4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.address[0] = a, e.address[1] = b, e.address[2] = c, e.address[3] = d;
  e.port = port;
  return e;
}

}  // namespace

TEST_CASE("meshd bundle apply: endpoints and prefixes convert exactly") {
  CHECK(parse_numeric_endpoint("127.0.0.1:20001") == ep4(127, 0, 0, 1, 20001));
  auto v6 = parse_numeric_endpoint("[fd00::1]:51820");
  REQUIRE(v6);
  CHECK(v6->family == 6);
  CHECK(v6->address[0] == 0xfd);
  CHECK(v6->address[15] == 1);
  CHECK(v6->port == 51820);
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x",
                          "host.example:51820", "fd00::1:51820", "[fd00::1]", "[1.2.3.4]:5",
                          "1.2.3.400:5", " 1.2.3.4:5"})
    CHECK_MESSAGE(!parse_numeric_endpoint(bad), bad);

  auto a = to_allowed_ip(v4(0x0a010203, 24));
  CHECK(a.family == 4);
  CHECK(a.bits == 24);
  CHECK(a.address[0] == 10);
  CHECK(a.address[1] == 1);
  CHECK(a.address[2] == 2);
  CHECK(a.address[3] == 3);
  CHECK(a.address[4] == 0);
  bundle::Prefix p6{6, 64, bundle::u128(0xfd7a115ca1e00000ULL) << 64};
  auto a6 = to_allowed_ip(p6);
  CHECK(a6.family == 6);
  CHECK(a6.address[0] == 0xfd);
  CHECK(a6.address[1] == 0x7a);
  CHECK(a6.address[5] == 0xe0);
  CHECK(a6.address[6] == 0);
  CHECK(a6.address[8] == 0);
}

TEST_CASE("meshd bundle apply: a first bundle adds its peers and installs its table and addresses") {
  Fixture f;
  auto b = share(sample_bundle("node1", 1, 1000));
  ApplyReport r = f.applier.apply(b);
  CHECK(r.ok);
  CHECK(r.lines.at(0) == "peers: 2 added, 0 kept, 0 removed, 0 skipped");
  REQUIRE(f.device.applied.size() == 1);
  CHECK_FALSE(f.device.applied[0].replace_peers);  // sessions of kept peers survive
  REQUIRE(f.device.peers.size() == 2);
  const auto* phone = f.device.peer(1);
  REQUIRE(phone);
  CHECK(phone->endpoint == ep4(127, 0, 0, 1, 20001));
  REQUIRE(phone->allowed_ips.size() == 1);
  CHECK(phone->allowed_ips[0] == to_allowed_ip(v4(0x64400002)));
  const auto* server = f.device.peer(2);
  REQUIRE(server);
  REQUIRE(server->endpoint);
  CHECK(server->endpoint->family == 6);
  CHECK(server->allowed_ips.size() == 2);
  REQUIRE(f.filters.size() == 1);
  CHECK(f.filters[0] == b);
  REQUIRE(f.addresses.size() == 1);
  CHECK(f.addresses[0] == b->addresses);
}

TEST_CASE("meshd bundle apply: the next bundle changes peers by difference") {
  Fixture f;
  f.applier.apply(share(sample_bundle("node1", 1, 1000)));
  // A peer the operator added by hand over UAPI.
  runtime::PeerStatus manual;
  manual.public_key = wg_key(9);
  f.device.peers.push_back(manual);
  // The phone roamed: its endpoint moved away from the bundle's.
  const_cast<runtime::PeerStatus*>(f.device.peer(1))->endpoint = ep4(10, 9, 9, 9, 4000);

  auto next = sample_bundle("node1", 2, 1000);
  next.peers.erase(next.peers.begin() + 1);                           // server gone
  next.peers[0].allowed_ips.push_back(v4(0xc0a80000, 16));            // phone routes more
  next.peers.push_back({"laptop", wg_key(3), {"127.0.0.1:20003"}, {v4(0x64400004)}});
  next.peers.push_back({"printer", std::nullopt, {}, {v4(0x64400005)}});
  ApplyReport r = f.applier.apply(share(next));
  CHECK(r.ok);
  CHECK(r.lines.at(0) == "peers: 1 added, 1 kept, 2 removed, 1 skipped");
  CHECK(std::any_of(r.lines.begin(), r.lines.end(), [](const std::string& l) {
    return l.find("printer has no WireGuard key") != std::string::npos;
  }));

  const DeviceConfig& c = f.device.applied.back();
  CHECK_FALSE(c.replace_peers);
  auto find = [&](uint8_t fill) {
    return std::find_if(c.peers.begin(), c.peers.end(),
                        [&](const auto& p) { return p.public_key == wg_key(fill); });
  };
  REQUIRE(find(1) != c.peers.end());
  CHECK_FALSE(find(1)->remove);
  CHECK_FALSE(find(1)->endpoint);  // unchanged in the bundle: the roamed endpoint stays
  CHECK(find(1)->replace_allowed_ips);
  CHECK(find(2)->remove);
  CHECK(find(9)->remove);  // hand-set peers do not survive a bundle
  REQUIRE(find(3) != c.peers.end());
  CHECK(find(3)->endpoint == ep4(127, 0, 0, 1, 20003));

  CHECK(f.device.peers.size() == 2);
  CHECK(f.device.peer(1)->endpoint == ep4(10, 9, 9, 9, 4000));
  CHECK(f.device.peer(1)->allowed_ips.size() == 2);
  CHECK_FALSE(f.device.peer(2));
  CHECK_FALSE(f.device.peer(9));
}

TEST_CASE("meshd bundle apply: a bundle that moves a peer's endpoint sets it") {
  Fixture f;
  f.applier.apply(share(sample_bundle("node1", 1, 1000)));
  auto next = sample_bundle("node1", 2, 1000);
  next.peers[0].endpoints = {"not-numeric.example:1", "127.0.0.9:30000"};
  f.applier.apply(share(next));
  CHECK(f.device.peer(1)->endpoint == ep4(127, 0, 0, 9, 30000));
}

TEST_CASE("meshd bundle apply: duplicate keys and unusable endpoints are reported") {
  Fixture f;
  auto b = sample_bundle("node1", 1, 1000);
  b.peers.push_back({"clone", wg_key(1), {}, {v4(0x64400009)}});
  b.peers[1].endpoints = {"server.example:51820"};
  ApplyReport r = f.applier.apply(share(b));
  CHECK(r.lines.at(0) == "peers: 2 added, 0 kept, 0 removed, 1 skipped");
  auto has = [&](const char* s) {
    return std::any_of(r.lines.begin(), r.lines.end(),
                       [&](const std::string& l) { return l.find(s) != std::string::npos; });
  };
  CHECK(has("clone has the WireGuard key of an earlier peer"));
  CHECK(has("server: no usable endpoint"));
  CHECK_FALSE(f.device.peer(2)->endpoint);
}

TEST_CASE("meshd bundle apply: no bundle runs fail closed") {
  Fixture f;
  f.applier.apply(share(sample_bundle("node1", 1, 1000)));
  ApplyReport r = f.applier.apply(nullptr);
  CHECK(r.ok);
  CHECK(f.device.peers.empty());
  REQUIRE(f.filters.size() == 2);
  CHECK(f.filters[1] == nullptr);
  f.applier.withdraw_filter();
  CHECK(f.filters.back() == nullptr);
}

TEST_CASE("meshd bundle apply: a refused peer set still installs the newest table") {
  Fixture f;
  f.applier.apply(share(sample_bundle("node1", 1, 1000)));
  f.device.refuse = true;
  auto next = share(sample_bundle("node1", 2, 1000));
  ApplyReport r = f.applier.apply(next);
  CHECK_FALSE(r.ok);
  CHECK(r.lines.at(0).find("refused") != std::string::npos);
  CHECK(f.filters.back() == next);
  CHECK(f.device.peers.size() == 2);
}
