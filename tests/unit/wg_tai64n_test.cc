// TAI64N encoding, whitening to 2^24 ns, ordering and monotonicity.
#include <doctest/doctest.h>

#include <thread>

#include "runtime/wg/tai64n.h"
#include "tests/unit/wg_test_util.h"

namespace aclc::wg {
namespace {

TEST_CASE("wg tai64n: encoding is big-endian seconds from 2^62+10 and floored nanoseconds") {
  CHECK(test::hex(tai64n_from_unix(0, 0)) == "400000000000000a00000000");
  // 1700000000 = 0x6553f100; 0x0a000000 ns is a multiple of 2^24.
  CHECK(test::hex(tai64n_from_unix(1700000000, 0x0a000000)) == "400000006553f10a0a000000");
  // Nanoseconds below 2^24 granularity vanish.
  CHECK(tai64n_from_unix(5, 0x00ffffff) == tai64n_from_unix(5, 0));
  CHECK(test::hex(tai64n_from_unix(5, 999999999)) == "400000000000000f3b000000");
}

TEST_CASE("wg tai64n: ordering is strict and bytewise") {
  auto a = tai64n_from_unix(100, 0), b = tai64n_from_unix(100, 1 << 24), c = tai64n_from_unix(101, 0);
  CHECK(tai64n_after(b, a));
  CHECK(tai64n_after(c, b));
  CHECK_FALSE(tai64n_after(a, a));
  CHECK_FALSE(tai64n_after(a, c));
  // Within one 2^24 ns step two stamps are equal, so not "after".
  CHECK_FALSE(tai64n_after(tai64n_from_unix(100, 1000), a));
}

TEST_CASE("wg tai64n: the wall clock stamp is monotonic across the whitening step") {
  Tai64n first = tai64n_now();
  Tai64n last = first;
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // > 2^24 ns
    Tai64n now = tai64n_now();
    CHECK(tai64n_after(now, last));
    last = now;
  }
}

}  // namespace
}  // namespace aclc::wg
