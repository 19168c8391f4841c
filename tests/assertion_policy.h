// The small tailnet the hook and CI-script tests commit: alice's laptop and a
// tagged database, a policy granting her the ports given, and an assertion
// that she never reaches SSH there (so opening 22 breaks it).
#pragma once

#include <string>

namespace aclc::test {

inline const char* kAssertionDevices = R"({"devices": [
  {"hostname": "laptop", "addresses": ["100.64.0.1"], "user": "alice@example.com"},
  {"hostname": "db", "addresses": ["100.64.0.2"], "tags": ["tag:db"]}]})";

inline std::string assertion_policy(const std::string& ports) {
  return R"({
  "tagOwners": {"tag:db": ["alice@example.com"]},
  "acls": [
    {"action": "accept", "src": ["alice@example.com"], "dst": ["tag:db:)" +
         ports + R"("]}
  ],
  "assertions": [
    {"src": "alice@example.com", "deny": ["tag:db:22"]}
  ]
}
)";
}

}  // namespace aclc::test
