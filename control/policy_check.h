// Judging a candidate policy as the control plane does on validate and on
// save: HuJSON syntax, Tailscale's decoding checks, device names against
// the registry's inventory, then the policy's tests and sshTests against
// those devices. The answer is shaped like Tailscale's API answer.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "compiler/common/diag.h"
#include "compiler/front/dialect.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"

namespace aclc::control {

struct CheckedPolicy {
  bool valid = false;
  Diagnostics diags;                      // every finding, with positions
  Inventory inventory;
  std::optional<policy::Policy> policy;
  std::optional<ir::Program> program;     // set when valid
  // Tailscale's error body: {"message": first error, "data": [test
  // failures]} plus aclc's "errors": [{"line","column","message"}] (every
  // error with its position). "" when valid.
  std::string error_body;
};

// `inventory_json` is the registry's (control/registry.h). The result is
// not movable (the program refers into the policy and inventory).
std::unique_ptr<CheckedPolicy> check_policy(const std::string& text,
                                            const std::string& inventory_json,
                                            Dialect dialect);

// Tailscale's validate "mode A": `tests_body` is a JSON (or HuJSON) array
// of tests, run against the policy `text` (the stored one) in place of its
// own tests and sshTests. Nothing else about the policy is judged anew.
struct TestsRun {
  // Set when the request is malformed (not one array, a test of the wrong
  // shape or with an unknown field): a 400, "line L, column C: ..." in the
  // body's own coordinates.
  std::string request_error;
  // As CheckedPolicy::error_body: "" when every test passed, else
  // {"message": "test(s) failed", "data": [...], ...}.
  std::string error_body;
};
TestsRun run_tests_against(const std::string& text, const std::string& tests_body,
                           const std::string& inventory_json, Dialect dialect);

// Tailscale's way of naming a position in an API message:
// "line 3, column 7: message" (or the message alone without a position).
std::string positioned_message(const Diagnostic& d);

}  // namespace aclc::control
