// Computing the semantic diff of two policy versions for the CLI (`aclc
// diff`, `aclc check --base`): load both texts, lower them against one
// inventory, label rules with their source selectors, diff, render.
//
// Scope. With --nodes both versions are lowered against the tailnet's
// devices and the diff is exact for every address with those identities.
// Without it, a representative inventory is made from both policies: one
// untagged device per user login they name (directly, as a group member or
// a tag owner), one per user:*@domain, one for a user neither names, one
// single-tag device per tag, and one per device name; the diff is exact for
// every address with those identities. Devices carrying several tags at
// once and the role autogroups (autogroup:admin, ...) are not represented
// there; pass --nodes to cover the tailnet as it is.
#pragma once

#include <optional>
#include <string>

#include "cli/pipeline.h"
#include "compiler/common/diag.h"
#include "verifier/diff.h"
#include "verifier/diff_render.h"

namespace aclc::cli {

// One version: its text and the name positions use ("old.hujson",
// "HEAD~1:policy.hujson").
struct PolicyVersion {
  std::string name;
  std::string text;
};

struct DiffRun {
  Loaded old_side, new_side;
  Inventory inventory;  // what both were lowered against
  verify::SemanticDiff diff;
  std::string scope;
  bool tailnet_devices = false;  // --nodes given: the inventory is real

  verify::DiffReport report() const;
};

// Loads, lowers and diffs. `common` gives the dialect and the device list
// (policy_path is ignored). Problems go to `diags`; the status says whether
// a version is invalid (exit 1) or an input unusable (exit 2).
LoadStatus run_diff(const PolicyVersion& old_version, const PolicyVersion& new_version,
                    const Inputs& common, DiffRun& out, Diagnostics& diags);

}  // namespace aclc::cli
