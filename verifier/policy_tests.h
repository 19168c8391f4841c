// Running a policy's `tests` (tailscale-policy.md §6.1) against the IR.
//
// A test's accept entry passes iff every (src address, dst address) pair of
// the same family is allowed; a deny entry passes iff none is. A flow is
// allowed if the evaluator (compiler/ir/evaluate.h) allows it for one of the
// test's protocols (omitted proto: TCP or UDP). A test passes iff it has no
// error and every entry passes; Tailscale rejects the policy ("test(s)
// failed") if any test fails.
//
// Each failure carries Tailscale's message (`address "tag:web:80": want:
// Accept, got: Drop`) plus aclc's detail: the concrete flow that
// contradicts the assertion and the rule that decided it. Nothing here
// prints; to_diagnostics() turns a report into Diagnostics for the CLI.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"
#include "compiler/ir/test_cases.h"
#include "verifier/test_report.h"

namespace aclc::verify {

struct AclTestFailure {
  std::string entry;       // "host:port" as written ("" for a test-level error)
  Pos pos;                 // the entry (or the test's src)
  bool want_accept = true;
  std::string message;     // Tailscale's wording
  std::string detail;      // aclc's: why, on which flow, decided by what
  // The counter-example flow, when the entry could be evaluated.
  std::optional<ir::TestAddr> src;
  std::optional<ir::TestAddr> dst;
  uint16_t port = 0;
  const ir::Rule* rule = nullptr;  // the deciding rule, if any
};

using AclTestResult = TestResult<AclTestFailure>;
using AclTestReport = TestReport<AclTestFailure>;

// The Program and Inventory are those the tests were lowered against.
// Failures point into `prog`, which must outlive the report.
AclTestReport run_policy_tests(const std::vector<ir::AclTestCase>& tests,
                               const ir::Program& prog, const Inventory& inv);

// One error per failure, at its position in `file`: message = Tailscale's
// wording, hint = aclc's detail (with the deciding rule's position).
void to_diagnostics(const AclTestReport& report, const std::string& file, Diagnostics& out);

}  // namespace aclc::verify
