#include "cli/pipeline.h"

#include "cli/file_io.h"
#include "compiler/front/device_names.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"

namespace aclc::cli {

LoadStatus load_inputs(const Inputs& in, Loaded& out, Diagnostics& diags) {
  std::string err;
  auto policy_text = read_file(in.policy_path, err);
  if (!policy_text) {
    diags.error(in.policy_path, {}, err, "io");
    return LoadStatus::InputError;
  }
  return load_inputs_from_text(in, *policy_text, out, diags);
}

LoadStatus load_inputs_from_text(const Inputs& in, const std::string& policy_text,
                                 Loaded& out, Diagnostics& diags) {
  std::string err;
  if (!in.nodes_path.empty()) {
    auto nodes_text = read_file(in.nodes_path, err);
    if (!nodes_text) {
      diags.error(in.nodes_path, {}, err, "io");
      return LoadStatus::InputError;
    }
    Diagnostics inv_diags;
    auto inv = parse_inventory(*nodes_text, in.nodes_path, inv_diags);
    diags.append(inv_diags);
    // A device list aclc cannot trust is a usage problem, not a verdict on
    // the policy.
    if (!inv || inv_diags.has_errors()) return LoadStatus::InputError;
    out.inventory = std::move(*inv);
    out.has_inventory = true;
  }

  Diagnostics pol_diags;
  out.policy = policy::parse_policy(policy_text, in.policy_path, in.dialect,
                                    pol_diags);
  diags.append(pol_diags);
  if (!out.policy) return LoadStatus::PolicyInvalid;

  check_device_names(*out.policy,
                     out.has_inventory ? &out.inventory : nullptr, diags);
  if (out.has_inventory)
    check_inventory_against_policy(out.inventory, *out.policy, diags);
  if (diags.has_errors()) return LoadStatus::PolicyInvalid;

  out.program = lower(*out.policy, out.inventory);
  return LoadStatus::Ok;
}

}  // namespace aclc::cli
