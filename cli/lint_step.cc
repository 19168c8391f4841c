#include "cli/lint_step.h"

#include "verifier/lint.h"

namespace aclc::cli {

void run_lint_step(const Loaded& loaded, bool strict, Diagnostics& diags, Summary& summary) {
  const policy::Policy& pol = *loaded.policy;
  verify::LintOptions opts;
  opts.nodes_file = loaded.inventory.file;
  verify::LintReport report =
      verify::lint(pol, *loaded.program, loaded.inventory, loaded.has_inventory, opts);
  verify::to_diagnostics(report, pol.file, strict, diags);
  std::string scope = loaded.has_inventory ? "any devices and the devices in " +
                                                 loaded.inventory.file
                                           : "any devices";
  summary.notes.push_back("lint: " + std::to_string(report.findings.size()) + " finding" +
                          (report.findings.size() == 1 ? "" : "s") + ", " +
                          std::to_string(report.rules_checked) + " rule" +
                          (report.rules_checked == 1 ? "" : "s") + " checked for " + scope);
}

}  // namespace aclc::cli
