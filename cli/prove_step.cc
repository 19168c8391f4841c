#include "cli/prove_step.h"

#include "cli/file_io.h"
#include "verifier/assertions.h"
#include "verifier/prove.h"

namespace aclc::cli {

bool has_assertions(const AssertInputs& in, const Loaded& loaded) {
  return !in.file.empty() || !in.json.empty() ||
         (loaded.policy && loaded.policy->assertions.has_value());
}

bool run_assertion_step(const AssertInputs& in, const Loaded& loaded, Diagnostics& diags,
                        Summary& summary) {
  const policy::Policy& pol = *loaded.policy;
  const Inventory& inv = loaded.inventory;
  std::vector<verify::Assertion> all;
  Diagnostics local;  // decoding findings only: earlier errors must not stop the proofs
  auto take = [&](std::vector<verify::Assertion> v) {
    for (auto& a : v) all.push_back(std::move(a));
  };
  if (pol.assertions) {
    take(verify::decode_assertions(*pol.assertions, pol.file, pol, inv, loaded.has_inventory,
                                   local));
  }
  if (!in.file.empty()) {
    std::string err;
    auto text = read_file(in.file, err);
    if (!text) {
      diags.error(in.file, {}, err, "io");
      return false;
    }
    take(verify::parse_assertions(*text, in.file, false, pol, inv, loaded.has_inventory, local));
  }
  if (!in.json.empty()) {
    take(verify::parse_assertions(in.json, "<--assert-json>", true, pol, inv,
                                  loaded.has_inventory, local));
  }
  diags.append(local);
  if (local.has_errors()) return true;  // bad assertions: a policy failure
  verify::ProveOptions opt;
  if (in.rlimit) opt.rlimit = in.rlimit;
  auto results = verify::prove(all, pol, *loaded.program, inv, opt);
  verify::to_diagnostics(results, pol, *loaded.program, diags);
  for (std::string& line : verify::summary_lines(results)) summary.notes.push_back(std::move(line));
  return true;
}

}  // namespace aclc::cli
