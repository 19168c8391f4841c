// The steps every command starts with: read the policy and the device list,
// decode and validate them, and lower them to the IR. Commands add their
// own work (tests, compilation) on top.
#pragma once

#include <optional>
#include <string>

#include "compiler/common/diag.h"
#include "compiler/front/dialect.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"

namespace aclc::cli {

struct Inputs {
  std::string policy_path;
  std::string nodes_path;  // empty: no device list
  Dialect dialect = Dialect::Aclc;
};

struct Loaded {
  std::optional<policy::Policy> policy;
  Inventory inventory;           // empty when no --nodes
  bool has_inventory = false;
  std::optional<ir::Program> program;  // set when the policy is valid
};

enum class LoadStatus {
  Ok,             // policy valid and lowered
  PolicyInvalid,  // diagnostics hold the errors (exit 1)
  InputError,     // unreadable file or unusable device list (exit 2)
};

// Loads and lowers. Every finding goes to `diags`; I/O problems too.
LoadStatus load_inputs(const Inputs& in, Loaded& out, Diagnostics& diags);

// As load_inputs, with the policy text given (a git blob, say): positions
// name `in.policy_path`, which need not exist ("HEAD~1:policy.hujson").
LoadStatus load_inputs_from_text(const Inputs& in, const std::string& policy_text,
                                 Loaded& out, Diagnostics& diags);

}  // namespace aclc::cli
