// Under-load detection: threshold and the one-second stickiness.
#include <doctest/doctest.h>

#include "runtime/wg/load_detector.h"

namespace aclc::wg {
namespace {

using namespace std::chrono_literals;

TEST_CASE("wg load detector: threshold, then sticky for one second") {
  LoadDetector d;
  CHECK_FALSE(d.under_load(0, 0s));
  CHECK_FALSE(d.under_load(127, 1s));
  CHECK(d.under_load(128, 2s));
  CHECK(d.under_load(0, 2s + 999ms));
  CHECK_FALSE(d.under_load(0, 3s));
  LoadDetector small(4);
  CHECK(small.under_load(4, 10s));
  CHECK(small.under_load(5, 10s + 500ms));  // refreshes the window
  CHECK(small.under_load(0, 11s + 499ms));
  CHECK_FALSE(small.under_load(0, 11s + 500ms));
}

}  // namespace
}  // namespace aclc::wg
