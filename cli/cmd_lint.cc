// aclc lint: exact findings about a valid policy (verifier/lint.h): rules
// that never apply or change nothing, definitions nothing uses, tags no
// device carries, tests that repeat each other.
#include <CLI/CLI.hpp>

#include "cli/command_run.h"
#include "cli/commands.h"
#include "cli/lint_step.h"

namespace aclc::cli {
namespace {

struct LintCommandOptions {
  Inputs in;
  bool strict = false;
  std::string dialect = "aclc";
  std::string format = "text";
};

int run_lint(const LintCommandOptions& o) {
  CommandRun run("lint", o.in.policy_path, o.dialect, *parse_format(o.format));
  if (auto code = run.load(o.in, StopOn::InputError)) return *code;
  if (run.status == LoadStatus::Ok) run_lint_step(run.loaded, o.strict, run.diags, run.summary);
  return run.finish_by_findings();
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
