// The lint step shared by `aclc lint` and `aclc check`: lint the loaded
// policy and add its findings (warnings, errors when strict) to diags.
#pragma once

#include "cli/pipeline.h"
#include "cli/report.h"
#include "compiler/common/diag.h"

namespace aclc::cli {

// `loaded` must hold a valid, lowered policy. Adds a closing note with the
// number of rules checked.
void run_lint_step(const Loaded& loaded, bool strict, Diagnostics& diags, Summary& summary);

}  // namespace aclc::cli
