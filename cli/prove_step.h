// Running a policy's assertions (verifier/prove.h) inside a command: the
// policy's own "assertions" section plus --assert FILE / --assert-json.
// Shared by `aclc prove` and `aclc check`.
#pragma once

#include <string>

#include "cli/pipeline.h"
#include "cli/report.h"
#include "compiler/common/diag.h"

namespace aclc::cli {

struct AssertInputs {
  std::string file;  // --assert FILE (HuJSON), may be empty
  std::string json;  // --assert-json '{...}', may be empty
  unsigned rlimit = 0;  // 0: the verifier's default
};

// Decodes and proves every assertion of a loaded, valid policy. Findings go
// to `diags` (failures are errors), one line per assertion to
// summary.notes. Returns false only on an I/O error (exit 2).
bool run_assertion_step(const AssertInputs& in, const Loaded& loaded, Diagnostics& diags,
                        Summary& summary);

// Whether there is anything to prove.
bool has_assertions(const AssertInputs& in, const Loaded& loaded);

}  // namespace aclc::cli
