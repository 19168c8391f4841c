// Tailscale's API answer when tests fail (tailscale-policy.md §6.3), built
// from aclc's reports, for output that must look like the control plane's:
//
//   {"message":"test(s) failed",
//    "data":[{"user":"<test src>","errors":["address \"tag:x:80\": want:
//             Accept, got: Drop"],"warnings":[]}]}
//
// One data entry per failing test (tests first, then sshTests), in policy
// order; "user" is the test's src as written, "errors" Tailscale's messages.
#pragma once

#include <string>

#include "verifier/policy_tests.h"
#include "verifier/ssh_tests.h"

namespace aclc::verify {

// The JSON body, or "" when every test passed.
std::string test_failure_body(const AclTestReport& tests, const SshTestReport& ssh_tests);

}  // namespace aclc::verify
