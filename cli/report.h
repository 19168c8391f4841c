// Writing a command's findings in the chosen format, and the exit code that
// goes with them.
#pragma once

#include <string>
#include <vector>

#include "cli/output.h"
#include "compiler/common/diag.h"

namespace aclc::cli {

struct Summary {
  std::string command;      // "check"
  std::string policy;       // the policy path
  std::string dialect;
  int exit_code = 0;
  // Counters shown in the closing line and in json ("tests": {...}).
  size_t tests_run = 0, tests_failed = 0;
  size_t ssh_tests_run = 0, ssh_tests_failed = 0;
  std::vector<std::string> notes;  // plain lines for the text closing
};

// Prints each diagnostic as text to stderr (coloured on a TTY), with no
// closing line: for commands whose result goes to stdout.
void print_findings(const Diagnostics& diags);

// Prints diagnostics and the summary to stdout (json, github) or stderr
// (text findings) as the format asks.
void print_report(Format format, const Diagnostics& diags,
                  const Summary& summary);

}  // namespace aclc::cli
