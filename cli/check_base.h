// `aclc check --base REV`: the semantic diff of the policy at REV against
// the working file, shown with the check's report and appended as markdown
// to the file named by $GITHUB_STEP_SUMMARY when that is set (the job's
// summary page in GitHub Actions).
#pragma once

#include <string>

#include "cli/output.h"
#include "cli/pipeline.h"
#include "cli/report.h"
#include "compiler/common/diag.h"

namespace aclc::cli {

// Reads the policy at `rev` from the repository holding `in.policy_path`
// (its path there is the working file's), diffs it against the working
// file and prints the diff (text and github formats: on stdout; json: the
// diff is left to `aclc diff --format json` and only the summary is noted).
// Returns kPass, or kUsageOrIO with an error in `diags` when the revision or
// the path at it does not exist. A base version that is invalid is a
// warning, not a failure of the check.
// With `head_text`, that text (the staged policy, or the policy at a pushed
// revision) is the new side instead of the working file.
int run_base_diff(const std::string& rev, const Inputs& in, Format format, Diagnostics& diags,
                  Summary& summary, const std::string* head_text = nullptr);

}  // namespace aclc::cli
