// The enforcer's view of a bundle's table: its verdicts equal
// Bundle::allows on random tables and random flows, it names the cell that
// decided, and its locality and any-rule answers match brute force.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <random>

#include "runtime/filter/table_view.h"
#include "tests/runtime/filter_test_packets.h"

using namespace aclc;
using namespace aclc::runtime::filter;
using namespace aclc::runtime::filter::testing;

namespace {

// Random sorted, disjoint, non-adjacent intervals within [lo, hi].
template <typename T>
std::vector<std::pair<T, T>> random_intervals(std::mt19937_64& rng, T lo, T hi, int max_n) {
  std::vector<std::pair<T, T>> out;
  T at = lo;
  int n = int(rng() % uint64_t(max_n)) + 1;
  for (int i = 0; i < n; ++i) {
    T gap = T(rng() % 8);
    T span = T(rng() % 6);
    if (hi - at < gap + span + 2) break;
    T first = at + gap;
    out.emplace_back(first, first + span);
    at = first + span + 2;
  }
  if (out.empty()) out.emplace_back(lo, lo);
  return out;
}

// A random canonical bundle over a small address universe, so random flows
// hit both allowed and denied cases often.
std::shared_ptr<bundle::Bundle> random_bundle(std::mt19937_64& rng) {
  auto b = std::make_shared<bundle::Bundle>();
  b->device = "node";
  b->addresses = {host4(v4(100, 64, 0, 1)), host6(v6(1))};
  uint32_t base4 = v4(100, 64, 0, 0);
  int zones = int(rng() % 3) + 1;
  for (int z = 0; z < zones; ++z) {
    bundle::Zone zone;
    // Zones take disjoint destination ranges: zone z owns [base + 100z, base + 100z + 60].
    zone.dsts.v4 = random_intervals<uint32_t>(rng, base4 + 100 * z, base4 + 100 * z + 60, 3);
    if (rng() % 2) zone.dsts.v6 = random_intervals<u128>(rng, v6(100 * z), v6(100 * z + 60), 2);
    std::vector<uint8_t> protos = {1, 6, 17, 47, 58, 132};
    std::shuffle(protos.begin(), protos.end(), rng);
    size_t at = 0;
    int classes = int(rng() % 3) + 1;
    for (int c = 0; c < classes && at < protos.size(); ++c) {
      bundle::ProtoClass klass;
      size_t take = std::min(protos.size() - at, size_t(rng() % 2 + 1));
      klass.protos.assign(protos.begin() + ptrdiff_t(at), protos.begin() + ptrdiff_t(at + take));
      at += take;
      std::sort(klass.protos.begin(), klass.protos.end());
      uint32_t port = uint32_t(rng() % 30);
      int cells = int(rng() % 4) + 1;
      for (int k = 0; k < cells && port < 200; ++k) {
        bundle::Cell cell;
        cell.port_first = uint16_t(port);
        cell.port_last = uint16_t(port + rng() % 40);
        cell.sources.v4 = random_intervals<uint32_t>(rng, base4, base4 + 400, 4);
        if (rng() % 2) cell.sources.v6 = random_intervals<u128>(rng, v6(0), v6(400), 3);
        klass.cells.push_back(cell);
        port = uint32_t(cell.port_last) + 1 + uint32_t(rng() % 20);
      }
      zone.classes.push_back(klass);
    }
    b->filter.push_back(zone);
  }
  return b;
}

bool contains(const bundle::AddrSet& s, uint8_t family, u128 a) {
  if (family == 4) {
    for (auto [f, l] : s.v4)
      if (a >= f && a <= l) return true;
    return false;
  }
  for (auto [f, l] : s.v6)
    if (a >= f && a <= l) return true;
  return false;
}

}  // namespace

TEST_CASE("filter table: verdicts equal Bundle::allows and name the deciding cell") {
  std::mt19937_64 rng(7);
  int allowed = 0, denied = 0;
  for (int round = 0; round < 200; ++round) {
    auto b = random_bundle(rng);
    std::string error;
    REQUIRE_MESSAGE(bundle::encode(*b, error).has_value(), error);  // canonical
    TableView view(b);
    for (int q = 0; q < 400; ++q) {
      uint8_t family = rng() % 4 == 0 ? 6 : 4;  // may change below
      u128 src = family == 4 ? u128(v4(100, 64, 0, 0) + rng() % 420) : v6(rng() % 420);
      u128 dst = family == 4 ? u128(v4(100, 64, 0, 0) + rng() % 300) : v6(rng() % 300);
      uint8_t protos[] = {1, 6, 17, 47, 58, 132, 50};
      uint8_t proto = protos[rng() % 7];
      uint16_t port = uint16_t(rng() % 260);
      if (rng() % 2) {
        // Aim at a cell: its zone's first destination, one of its sources,
        // one of its protocols, a port in or next to its range.
        const auto& zone = b->filter[rng() % b->filter.size()];
        const auto& klass = zone.classes[rng() % zone.classes.size()];
        const auto& c = klass.cells[rng() % klass.cells.size()];
        proto = klass.protos[rng() % klass.protos.size()];
        port = uint16_t(c.port_first + rng() % (c.port_last - c.port_first + 3));
        if (family == 6 && !zone.dsts.v6.empty() && !c.sources.v6.empty()) {
          dst = zone.dsts.v6[0].first;
          src = c.sources.v6[rng() % c.sources.v6.size()].second + rng() % 2;
        } else {
          family = 4;
          dst = zone.dsts.v4[0].second;
          src = c.sources.v4[rng() % c.sources.v4.size()].first + rng() % 2;
        }
      }
      bool want = b->allows(family, src, dst, proto, port);
      int cell = view.cell_for(view.zone_of(family, dst), family, src, proto, port);
      CHECK(want == (cell >= 0));
      (want ? allowed : denied)++;
      if (cell >= 0) {
        REQUIRE(size_t(cell) < view.cell_count());
        const auto& name = view.cell_name(size_t(cell));
        const bundle::Cell& c = b->filter[name.zone].classes[name.klass].cells[name.cell];
        CHECK(port >= c.port_first);
        CHECK(port <= c.port_last);
        CHECK(name.port_first == c.port_first);
        CHECK(std::binary_search(name.protos->protos.begin(), name.protos->protos.end(), proto));
        CHECK(contains(c.sources, family, src));
        CHECK(contains(b->filter[name.zone].dsts, family, dst));
      }
      // Any rule admits src -> dst iff some cell of dst's zone holds src.
      int zone = view.zone_of(family, dst);
      bool any = false;
      if (zone >= 0)
        for (const auto& k : b->filter[size_t(zone)].classes)
          for (const auto& c : k.cells) any = any || contains(c.sources, family, src);
      CHECK(view.any_rule_admits(zone, family, src) == any);
      bool local = zone >= 0 || (family == 4 ? dst == v4(100, 64, 0, 1) : dst == v6(1));
      CHECK(view.is_local(family, dst) == local);
    }
  }
  // The random tables exercise both answers.
  CHECK(allowed > 1000);
  CHECK(denied > 1000);
}

TEST_CASE("filter table: own addresses as prefixes, and cells numbered densely") {
  auto b = std::make_shared<bundle::Bundle>();
  b->addresses = {{4, 24, v4(10, 1, 2, 0)}, {6, 64, v6(0)}};
  bundle::Zone z;
  z.dsts.v4 = {{v4(10, 9, 0, 0), v4(10, 9, 255, 255)}};
  bundle::ProtoClass tcp_udp{{6, 17}, {cell4(22, 22, {{1, 1}}), cell4(80, 443, {{2, 3}})}};
  bundle::ProtoClass icmp{{1}, {cell4(0, 0, {{4, 4}})}};
  z.classes = {tcp_udp, icmp};
  b->filter = {z};
  TableView view(b);
  CHECK(view.is_local(4, v4(10, 1, 2, 200)));
  CHECK_FALSE(view.is_local(4, v4(10, 1, 3, 0)));
  CHECK(view.is_local(6, v6(12345)));
  CHECK(view.is_local(4, v4(10, 9, 4, 4)));
  CHECK_FALSE(view.is_local(6, u128(1) << 100));
  CHECK(view.cell_count() == 3);
  CHECK(view.echo_cell() == 3);
  int zone = view.zone_of(4, v4(10, 9, 0, 1));
  CHECK(zone == 0);
  CHECK(view.cell_for(zone, 4, 1, 6, 22) == 0);
  CHECK(view.cell_for(zone, 4, 3, 17, 100) == 1);
  CHECK(view.cell_for(zone, 4, 4, 1, 0) == 2);
  CHECK(view.cell_for(zone, 4, 4, 1, 1) == -1);
  CHECK(view.cell_for(zone, 4, 1, 6, 23) == -1);
  CHECK(view.cell_for(-1, 4, 1, 6, 22) == -1);
  CHECK(view.any_rule_admits(zone, 4, 4));
  CHECK_FALSE(view.any_rule_admits(zone, 4, 5));
  CHECK_FALSE(view.any_rule_admits(-1, 4, 4));
}
