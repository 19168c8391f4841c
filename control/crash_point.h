// Test-only crash injection: when the environment variable
// ACLC_SERVE_CRASH_AT names `step`, the process ends at once (_exit(86),
// no destructors, no flushing), as a power cut or kill -9 would. The
// crash-consistency tests use it to stop the server between the steps of
// a deploy. Steps: "before-commit" (bundles staged, policy not committed),
// "after-commit" (committed, bundles not yet renamed into place),
// "mid-bundles" (some bundles renamed, not all).
#pragma once

namespace aclc::control {

void crash_point(const char* step);

}  // namespace aclc::control
