// Running a policy's `sshTests` (tailscale-policy.md §6.2) against the SSH
// IR, the way a Tailscale client decides: for each dst device, its compiled
// SSH rules (ir::node_ssh_rules) are matched first-match against every
// source address and the requested user (ir::decide_ssh).
//
// An `accept` user passes when every src address gets a session (by an
// accept or a check rule), a `check` user when every one gets it through a
// check rule, a `deny` user when none gets one. Network rules are not
// consulted: an ssh rule alone passes sshTests (recorded on Tailscale).
// A test also fails when its src, a dst or a user names nothing usable.
//
// Failures carry Tailscale's message (`src "<src>" at "<ip>", dst "<dst>"
// at "<ip>", ssh user "<u>": want: "check" got: "deny"`) plus aclc's
// detail (the deciding ssh rule and its position).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ssh.h"
#include "compiler/ir/test_cases.h"
#include "verifier/test_report.h"

namespace aclc::verify {

struct SshTestFailure {
  Pos pos;               // the user (or dst, or src) the failure is about
  std::string message;   // Tailscale's wording
  std::string detail;    // aclc's
  std::string user;
  ir::SshVerdict want = ir::SshVerdict::Accept;
  ir::SshVerdict got = ir::SshVerdict::Deny;
  std::optional<ir::TestAddr> src;
  int dst_device = -1;
  const ir::SshRule* rule = nullptr;  // the rule that decided, if any (into the SshProgram)
};

using SshTestResult = TestResult<SshTestFailure>;
using SshTestReport = TestReport<SshTestFailure>;

// Failures point into `prog`, which must outlive the report.
SshTestReport run_ssh_tests(const std::vector<ir::SshTestCase>& tests,
                            const ir::SshProgram& prog, const Inventory& inv);

// One error per failure, at its position in `file`.
void to_diagnostics(const SshTestReport& report, const std::string& file, Diagnostics& out);

}  // namespace aclc::verify
