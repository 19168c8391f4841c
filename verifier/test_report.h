// What the runners of a policy's `tests` (verifier/policy_tests.h) and
// `sshTests` (verifier/ssh_tests.h) share: one result per test, in policy
// order; a test that names nothing usable fails as a whole; every failure
// becomes one error Diagnostic.
//
// A runner's Failure type has `pos` (where the failure is), `message`
// (Tailscale's wording) and `detail` (aclc's: why, on which flow).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "compiler/common/diag.h"

namespace aclc::verify {

template <typename Failure>
struct TestResult {
  size_t index = 0;  // tests[index] or sshTests[index]
  Pos pos;
  std::string src;   // as written; Tailscale reports it as "user"
  bool passed = true;
  std::vector<Failure> failures;
};

template <typename Failure>
struct TestReport {
  std::vector<TestResult<Failure>> results;

  size_t failed() const {
    size_t n = 0;
    for (const TestResult<Failure>& r : results) n += r.passed ? 0 : 1;
    return n;
  }
  bool passed() const { return failed() == 0; }
};

// `s` in double quotes, `"` and `\` escaped: how Tailscale's test messages
// quote what the policy wrote.
std::string message_quote(const std::string& s);

// One result per case of `tests`. A case with an error fails as a whole,
// at its src; any other goes to run_one(case, result), which adds failures.
template <typename Failure, typename Case, typename RunOne>
TestReport<Failure> run_tests(const std::vector<Case>& tests, RunOne run_one) {
  TestReport<Failure> report;
  for (const Case& t : tests) {
    TestResult<Failure> r;
    r.index = t.index;
    r.pos = t.pos;
    r.src = t.src;
    if (!t.error.empty()) {
      Failure f;
      f.pos = t.src_pos.known() ? t.src_pos : t.pos;
      f.message = "test(s) failed for user: " + t.src;
      f.detail = t.error;
      r.failures.push_back(std::move(f));
    } else {
      run_one(t, r);
    }
    r.passed = r.failures.empty();
    report.results.push_back(std::move(r));
  }
  return report;
}

// One error per failure, at its position in `file`, with diagnostic code
// `code`: message = Tailscale's wording; hint = `<section>[<index>] (src
// "<src>"): <detail>`.
template <typename Failure>
void failures_to_diagnostics(const TestReport<Failure>& report, const char* section,
                             const char* code, const std::string& file, Diagnostics& out) {
  for (const TestResult<Failure>& r : report.results) {
    for (const Failure& f : r.failures) {
      out.error(file, f.pos, f.message, code,
                std::string(section) + "[" + std::to_string(r.index) + "] (src " +
                    message_quote(r.src) + "): " + f.detail);
    }
  }
}

}  // namespace aclc::verify
