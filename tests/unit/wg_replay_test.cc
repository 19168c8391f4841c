// The replay window, with the kernel's counter selftest table (as ported to
// wireguard-go's replay_test.go) and its bulk tests, plus a random check
// against a naive model.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "runtime/wg/limits.h"
#include "runtime/wg/replay.h"

namespace aclc::wg {
namespace {

constexpr uint64_t kWindow = ReplayWindow::kWindowSize;

TEST_CASE("wg replay: window size is WireGuard's") { CHECK(kWindow == 8128); }

TEST_CASE("wg replay: kernel counter selftest table") {
  // The table uses a limit of 2^64 - 2^4 - 1 so it can probe the edge.
  constexpr uint64_t kLimit = UINT64_MAX - 16;
  constexpr uint64_t T = kWindow + 1;
  ReplayWindow w;
  struct Step {
    uint64_t n;
    bool ok;
  };
  const Step steps[] = {
      {0, true}, {1, true}, {1, false}, {9, true}, {8, true}, {7, true}, {7, false}, {T, true},
      {T - 1, true}, {T - 1, false}, {T - 2, true}, {2, true}, {2, false}, {T + 16, true}, {3, false},
      {T + 16, false}, {T * 4, true}, {T * 4 - (T - 1), true}, {10, false}, {T * 4 - T, false},
      {T * 4 - (T + 1), false}, {T * 4 - (T - 2), true}, {T * 4 + 1 - T, false}, {0, false},
      {kLimit, false}, {kLimit - 1, true}, {kLimit, false}, {kLimit - 1, false}, {kLimit - 2, true},
      {kLimit + 1, false}, {kLimit + 2, false}, {kLimit - 2, false}, {kLimit - 3, true}, {0, false},
  };
  int number = 0;
  for (const Step& s : steps) {
    ++number;
    CAPTURE(number);
    CHECK(w.accept(s.n, kLimit) == s.ok);
  }
}

TEST_CASE("wg replay: bulk tests") {
  const uint64_t lim = kRejectAfterMessages;
  ReplayWindow w;
  SUBCASE("1: ascending then 0") {
    for (uint64_t i = 1; i <= kWindow; ++i) REQUIRE(w.accept(i, lim));
    CHECK(w.accept(0, lim));
    CHECK_FALSE(w.accept(0, lim));
  }
  SUBCASE("2: ascending from 2, then 1 fits and 0 does not") {
    for (uint64_t i = 2; i <= kWindow + 1; ++i) REQUIRE(w.accept(i, lim));
    CHECK(w.accept(1, lim));
    CHECK_FALSE(w.accept(0, lim));
  }
  SUBCASE("3: descending") {
    for (uint64_t i = kWindow + 1; i > 0; --i) REQUIRE(w.accept(i, lim));
  }
  SUBCASE("4: descending from window+2, then 0 is too old") {
    for (uint64_t i = kWindow + 2; i > 1; --i) REQUIRE(w.accept(i, lim));
    CHECK_FALSE(w.accept(0, lim));
  }
  SUBCASE("5: descending, then window+1 slides 0 out") {
    for (uint64_t i = kWindow; i > 0; --i) REQUIRE(w.accept(i, lim));
    CHECK(w.accept(kWindow + 1, lim));
    CHECK_FALSE(w.accept(0, lim));
  }
  SUBCASE("6: descending, 0, then window+1") {
    for (uint64_t i = kWindow; i > 0; --i) REQUIRE(w.accept(i, lim));
    CHECK(w.accept(0, lim));
    CHECK(w.accept(kWindow + 1, lim));
  }
}

TEST_CASE("wg replay: limits") {
  ReplayWindow w;
  CHECK_FALSE(w.accept(kRejectAfterMessages, kRejectAfterMessages));
  CHECK_FALSE(w.accept(UINT64_MAX, kRejectAfterMessages));
  CHECK(w.accept(kRejectAfterMessages - 1, kRejectAfterMessages));
  w.reset();
  CHECK(w.accept(0, kRejectAfterMessages));
  CHECK_FALSE(w.accept(0, kRejectAfterMessages));
}

TEST_CASE("wg replay: random traffic against a naive model") {
  std::mt19937_64 rng(42);
  ReplayWindow w;
  std::set<uint64_t> seen;
  uint64_t greatest = 0;
  bool any = false;
  for (int i = 0; i < 200000; ++i) {
    // Mostly near the front, sometimes far behind or ahead.
    uint64_t base = greatest + 64;
    uint64_t spread = (rng() % 16 == 0) ? 30000 : 9000;
    uint64_t n = base > spread ? base - rng() % spread : rng() % (base + 1);
    if (rng() % 1000 == 0) n = greatest + 20000;
    bool expect = !seen.count(n) && (!any || n > greatest || greatest - n <= kWindow);
    REQUIRE(w.accept(n, kRejectAfterMessages) == expect);
    if (expect) {
      seen.insert(n);
      if (!any || n > greatest) greatest = n;
      any = true;
    }
  }
}

}  // namespace
}  // namespace aclc::wg
