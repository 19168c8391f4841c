// aclc lint: exact findings about a valid policy (verifier/lint.h): rules
// that never apply or change nothing, definitions nothing uses, tags no
// device carries, tests that repeat each other.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/lint_step.h"
#include "cli/pipeline.h"
#include "cli/report.h"

namespace aclc::cli {
namespace {

struct LintCommandOptions {
  Inputs in;
  bool strict = false;
  std::string dialect = "aclc";
  std::string format = "text";
};

int run_lint(const LintCommandOptions& o) {
  Summary summary;
  summary.command = "lint";
  summary.policy = o.in.policy_path;
  summary.dialect = o.dialect;
  Format format = *parse_format(o.format);
  Diagnostics diags;
  Loaded loaded;
  LoadStatus st = load_inputs(o.in, loaded, diags);
  if (st == LoadStatus::InputError) {
    summary.exit_code = kUsageOrIO;
  } else {
    if (st == LoadStatus::Ok) run_lint_step(loaded, o.strict, diags, summary);
    summary.exit_code = diags.has_errors() ? kPolicyFailure : kPass;
  }
  print_report(format, diags, summary);
  return summary.exit_code;
}

}  // namespace

Runner add_lint_command(CLI::App& app);
const CommandRegistration kRegister25(25, add_lint_command);

Runner add_lint_command(CLI::App& app) {
  auto o = std::make_shared<LintCommandOptions>();
  auto* cmd = app.add_subcommand(
      "lint",
      "Find rules that never apply or change nothing (exact, with the minimal "
      "set of rules that cover them), unused groups, tags, hosts and ipsets, "
      "tags no device carries, and duplicate tests.");
  cmd->add_option("policy", o->in.policy_path, "The policy file (HuJSON)")->required();
  cmd->add_option("--nodes", o->in.nodes_path,
                  "The tailnet's devices (Tailscale's device-list JSON): rules are "
                  "also checked against the devices that exist, and tags no "
                  "device carries are reported");
  cmd->add_flag("--strict", o->strict, "Report findings as errors (exit 1)");
  cmd->add_option("--dialect", o->dialect, "aclc (default) or tailscale")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->add_option("--format", o->format, "text, json or github")
      ->check(CLI::IsMember({"text", "json", "github"}));
  cmd->footer(
      "Exit codes: 0 no errors (findings are warnings unless --strict), 1 the "
      "policy is invalid or --strict and a finding, 2 usage or I/O error.");
  return [o]() {
    o->in.dialect = *parse_dialect(o->dialect);
    return run_lint(*o);
  };
}

}  // namespace aclc::cli
