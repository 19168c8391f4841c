#include "compiler/ir/portset.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <bitset>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <vector>

using namespace aclc;

namespace {

using Model = std::bitset<65536>;

// Ranges near both ends of the port space and in the middle.
PortRange random_range(std::mt19937& rng) {
  static const uint16_t anchors[] = {0, 1, 2, 22, 80, 443, 1000, 32767, 65533, 65534, 65535};
  auto pick = [&]() -> uint16_t {
    if (rng() % 2) return anchors[rng() % std::size(anchors)];
    return static_cast<uint16_t>(anchors[rng() % std::size(anchors)] + rng() % 5 - 2);
  };
  uint16_t a = pick(), b = pick();
  if (a > b) std::swap(a, b);
  return {a, b};
}

// Membership only changes at range edges, so checking every edge and its
// neighbours checks the whole port space.
void check_matches(const PortSet& s, const Model& expected, const std::set<int>& edges) {
  for (int e : edges) {
    for (int p = e - 1; p <= e + 1; ++p) {
      if (p < 0 || p > 65535) continue;
      CHECK_MESSAGE(s.contains(static_cast<uint16_t>(p)) == expected.test(p), "port " << p << " in " << s);
    }
  }
  auto r = s.ranges();
  for (size_t k = 1; k < r.size(); ++k) CHECK(uint32_t{r[k - 1].last} + 1 < r[k].first);
}

}  // namespace

TEST_CASE("port set algebra matches a brute-force model") {
  std::mt19937 rng(11);
  auto ma = std::make_unique<Model>(), mb = std::make_unique<Model>();
  for (int iter = 0; iter < 500; ++iter) {
    PortSet a, b;
    ma->reset();
    mb->reset();
    std::set<int> edges{0, 65535};
    for (auto [set, model] : {std::pair{&a, ma.get()}, std::pair{&b, mb.get()}}) {
      int n = static_cast<int>(rng() % 5);
      for (int k = 0; k < n; ++k) {
        PortRange r = random_range(rng);
        set->add(r);
        for (int p = r.first; p <= r.last; ++p) model->set(p);
        edges.insert(r.first);
        edges.insert(r.last);
      }
    }
    check_matches(a, *ma, edges);
    check_matches(a | b, *ma | *mb, edges);
    check_matches(a & b, *ma & *mb, edges);
    check_matches(a - b, *ma & ~*mb, edges);
    CHECK(a.overlaps(b) == (*ma & *mb).any());
    CHECK(a.contains(b) == (*mb & ~*ma).none());
    CHECK((a == b) == (*ma == *mb));
    CHECK(a.empty() == ma->none());
    CHECK(a.is_all() == ma->all());
    PortSet c = a;
    c |= b;
    CHECK(c == (a | b));
    c = a;
    c &= b;
    CHECK(c == (a & b));
    c = a;
    c -= b;
    CHECK(c == (a - b));
  }
}

TEST_CASE("port sets merge and print") {
  PortSet s;
  s.add(22);
  s.add(PortRange{80, 80});
  s.add(PortRange{443, 443});
  s.add(PortRange{81, 442});
  CHECK(s.ranges().size() == 2);
  std::ostringstream os;
  os << s;
  CHECK(os.str() == "{22, 80-443}");
  s.add(PortRange{10, 5});  // inverted: ignored
  CHECK(s.ranges().size() == 2);
  CHECK(s.contains(PortRange{80, 443}));
  CHECK_FALSE(s.contains(PortRange{21, 22}));
  CHECK(PortSet::all().is_all());
  CHECK(to_string(PortRange::all()) == "*");
  CHECK(to_string(PortRange{22, 22}) == "22");
  CHECK(to_string(PortRange{1, 65535}) == "1-65535");
  PortSet edges;
  edges.add(65535);
  edges.add(0);
  edges.add(PortRange{1, 65534});
  CHECK(edges.is_all());
  CHECK((PortSet::all() - PortSet::of({0, 0})).ranges()[0] == PortRange{1, 65535});
  CHECK((PortSet::all() - PortSet::all()).empty());
}

TEST_CASE("protocol sets") {
  ProtoSet d = ProtoSet::default_protos();
  CHECK(d.count() == 4);
  CHECK(d.to_vector() == std::vector<int>{1, 6, 17, 58});
  CHECK(d.contains(6));
  CHECK(d.contains(58));
  CHECK_FALSE(d.contains(132));  // SCTP must be named
  ProtoSet tcp{6};
  CHECK((d & tcp) == tcp);
  CHECK((d - tcp).to_vector() == std::vector<int>{1, 17, 58});
  CHECK((tcp | ProtoSet{132}).to_vector() == std::vector<int>{6, 132});
  CHECK(ProtoSet().empty());
  CHECK(ProtoSet::all().count() == 256);
  CHECK(ProtoSet::all().contains(0));
  CHECK(ProtoSet::all().contains(255));
  ProtoSet edge{0, 255};
  std::vector<int> seen(edge.begin(), edge.end());
  CHECK(seen == std::vector<int>{0, 255});
  ProtoSet m = d;
  m.remove(1);
  m.add(132);
  m |= ProtoSet{2};
  m -= ProtoSet{17};
  CHECK(m.to_vector() == std::vector<int>{2, 6, 58, 132});
  std::ostringstream os;
  os << d;
  CHECK(os.str() == "{1, 6, 17, 58}");
}
