// Receiver index allocation: collisions are re-drawn, lookups and release.
#include <doctest/doctest.h>

#include <set>

#include "runtime/wg/index_table.h"
#include "tests/unit/wg_test_util.h"

namespace aclc::wg {
namespace {

using Kind = IndexEntry::Kind;

TEST_CASE("wg index table: a colliding draw is re-drawn") {
  test::ScriptedRandom rng;
  rng.queue = {{1, 0, 0, 0}, {1, 0, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}};
  IndexTable t(rng.source());
  CHECK(t.allocate({7, Kind::kHandshake}) == 1u);
  CHECK(t.allocate({8, Kind::kHandshake}) == 2u);  // two collisions skipped
  CHECK(t.size() == 2);
  CHECK(t.lookup(1)->peer == 7);
  CHECK(t.lookup(2)->peer == 8);
  CHECK_FALSE(t.lookup(3));
}

TEST_CASE("wg index table: rebind, release, and many random indices stay distinct") {
  IndexTable t;
  std::set<uint32_t> seen;
  for (PeerId p = 0; p < 5000; ++p) {
    uint32_t i = t.allocate({p, Kind::kHandshake});
    CHECK(seen.insert(i).second);
  }
  uint32_t first = *seen.begin();
  auto e = t.lookup(first);
  REQUIRE(e);
  CHECK(t.rebind(first, {e->peer, Kind::kKeypair}));
  CHECK(t.lookup(first)->kind == Kind::kKeypair);
  t.release(first);
  CHECK_FALSE(t.lookup(first));
  CHECK_FALSE(t.rebind(first, {0, Kind::kKeypair}));
  CHECK(t.size() == 4999);
}

}  // namespace
}  // namespace aclc::wg
