// The handshake rate limiter: burst, steady rate, per-source and per-/64
// buckets, idle collection and the memory bound.
#include <doctest/doctest.h>

#include <vector>

#include "runtime/wg/ratelimiter.h"

namespace aclc::wg {
namespace {

using namespace std::chrono_literals;

const std::vector<uint8_t> kV4a = {192, 0, 2, 1}, kV4b = {192, 0, 2, 2};

TEST_CASE("wg ratelimiter: burst of 5, then 20 per second") {
  RateLimiter r;
  Instant t = 1000s;
  for (int i = 0; i < 5; ++i) CHECK(r.allow(kV4a, t));
  CHECK_FALSE(r.allow(kV4a, t));
  CHECK_FALSE(r.allow(kV4a, t + 49ms));
  CHECK(r.allow(kV4a, t + 50ms));  // one packet's worth of tokens
  CHECK_FALSE(r.allow(kV4a, t + 50ms));
  // Over one steady second exactly 20 pass.
  Instant s = t + 100s;  // long idle: the bucket refills only to the burst
  int passed = 0;
  for (int ms = 0; ms < 1000; ++ms) passed += r.allow(kV4a, s + std::chrono::milliseconds(ms));
  CHECK(passed == 5 + 19);  // the burst plus one per 50 ms after it
}

TEST_CASE("wg ratelimiter: sources are independent; IPv6 shares a /64") {
  RateLimiter r;
  Instant t = 10s;
  for (int i = 0; i < 5; ++i) REQUIRE(r.allow(kV4a, t));
  CHECK_FALSE(r.allow(kV4a, t));
  CHECK(r.allow(kV4b, t));
  std::vector<uint8_t> v6a(16, 0), v6b(16, 0), v6c(16, 0);
  v6a[0] = v6b[0] = v6c[0] = 0x20;
  v6b[15] = 1;  // same /64 as v6a
  v6c[7] = 1;   // another /64
  for (int i = 0; i < 5; ++i) REQUIRE(r.allow(i % 2 ? v6a : v6b, t));
  CHECK_FALSE(r.allow(v6a, t));
  CHECK_FALSE(r.allow(v6b, t));
  CHECK(r.allow(v6c, t));
  std::vector<uint8_t> bad(5, 0);
  CHECK_FALSE(r.allow(bad, t));
}

TEST_CASE("wg ratelimiter: idle buckets are collected and the table is bounded") {
  RateLimiter r(3);
  Instant t = 5s;
  CHECK(r.allow(std::vector<uint8_t>{10, 0, 0, 1}, t));
  CHECK(r.allow(std::vector<uint8_t>{10, 0, 0, 2}, t));
  CHECK(r.allow(std::vector<uint8_t>{10, 0, 0, 3}, t));
  CHECK_FALSE(r.allow(std::vector<uint8_t>{10, 0, 0, 4}, t));  // full: refuse the unknown
  CHECK(r.allow(std::vector<uint8_t>{10, 0, 0, 1}, t + 100ms)); // known sources still served
  CHECK(r.tracked_sources() == 3);
  CHECK(r.allow(std::vector<uint8_t>{10, 0, 0, 4}, t + 3s));    // after idle collection
  CHECK(r.tracked_sources() == 1);
}

}  // namespace
}  // namespace aclc::wg
