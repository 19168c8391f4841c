// A policy's text as git holds it rather than as the working file: staged
// in the index (what a pre-commit hook must check) or at a revision (what a
// pre-push hook must check). Positions keep naming the file's own path.
#pragma once

#include <optional>
#include <string>

#include "compiler/common/diag.h"

namespace aclc::cli {

struct GitPolicySource {
  bool staged = false;  // the index
  std::string rev;      // else this revision; both empty: the working file
  bool active() const { return staged || !rev.empty(); }
  // "the staged policy.hujson" / "policy.hujson at abc123", for notes.
  std::string describe(const std::string& policy_path) const;
};

// Reads `policy_path` (a working-tree path) from the repository that holds
// it. nullopt with an error in `diags` when there is no repository, no such
// revision, or the file is not in it.
std::optional<std::string> read_git_policy(const GitPolicySource& source,
                                           const std::string& policy_path, Diagnostics& diags);

}  // namespace aclc::cli
