// aclc check: parse, validate, and run the policy's tests and sshTests.
#include <CLI/CLI.hpp>

#include "cli/check_base.h"
#include "cli/command_run.h"
#include "cli/commands.h"
#include "cli/git_policy.h"
#include "cli/lint_step.h"
#include "cli/prove_step.h"
#include "compiler/front/lower_ssh.h"
#include "compiler/front/lower_tests.h"
#include "verifier/policy_tests.h"
#include "verifier/ssh_tests.h"

namespace aclc::cli {
namespace {

struct CheckOptions {
  Inputs in;
  AssertInputs asserts;
  std::string dialect = "aclc";
  std::string format = "text";
  std::string base;  // --base REV
  GitPolicySource source;  // --staged / --rev: the policy as git holds it
  bool strict = false;  // lint findings are errors
  bool no_lint = false;
};

int run_check(const CheckOptions& o) {
  CommandRun run("check", o.in.policy_path, o.dialect, *parse_format(o.format));
  Diagnostics& diags = run.diags;
  Summary& summary = run.summary;
  const Loaded& loaded = run.loaded;

  std::optional<std::string> git_text;
  if (o.source.active()) {
    git_text = read_git_policy(o.source, o.in.policy_path, diags);
    if (!git_text) return run.finish(kUsageOrIO);
    summary.notes.push_back("checked " + o.source.describe(o.in.policy_path));
  }
  if (auto code = run.load(o.in, StopOn::InputError, git_text ? &*git_text : nullptr))
    return *code;
  // An invalid policy: its errors are the whole report.
  if (run.status != LoadStatus::Ok) return run.finish_by_findings();
  const policy::Policy& pol = *loaded.policy;
  bool has_tests = !pol.tests.empty() || !pol.ssh_tests.empty();
  if (has_tests && !loaded.has_inventory) {
    // Tailscale runs tests against the tailnet's devices; without them a
    // user, group or tag source has no address and every such test would
    // fail for the wrong reason.
    diags.warning(pol.file, {}, "tests and sshTests were not run: they need the tailnet's devices",
                  "tests-not-run", "pass --nodes DEVICES.json");
  } else if (has_tests) {
    ir::TestSuite suite = lower_tests(pol, loaded.inventory);
    auto acl_report = verify::run_policy_tests(suite.tests, *loaded.program, loaded.inventory);
    verify::to_diagnostics(acl_report, pol.file, diags);
    summary.tests_run = acl_report.results.size();
    summary.tests_failed = acl_report.failed();

    ir::SshProgram ssh = lower_ssh(pol, loaded.inventory);
    auto ssh_report = verify::run_ssh_tests(suite.ssh_tests, ssh, loaded.inventory);
    verify::to_diagnostics(ssh_report, pol.file, diags);
    summary.ssh_tests_run = ssh_report.results.size();
    summary.ssh_tests_failed = ssh_report.failed();
  }
  // Lint (verifier/lint.h): warnings, errors with --strict.
  if (!o.no_lint) run_lint_step(loaded, o.strict, diags, summary);
  // aclc assertions (the policy's section and --assert), proved with Z3.
  if (has_assertions(o.asserts, loaded) && !run_assertion_step(o.asserts, loaded, diags, summary))
    return run.finish(kUsageOrIO);
  // --base REV: the semantic diff of the change (cli/check_base.h).
  if (!o.base.empty() && run_base_diff(o.base, o.in, run.format, diags, summary,
                                      git_text ? &*git_text : nullptr) != kPass)
    return run.finish(kUsageOrIO);
  return run.finish_by_findings();
}

}  // namespace

Runner add_check_command(CLI::App& app);
const CommandRegistration kRegister10(10, add_check_command);

Runner add_check_command(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check",
      "Parse and validate a policy file and run its tests and sshTests, "
      "as Tailscale's control plane would on save.");
  cmd->add_option("policy", o->in.policy_path, "The policy file (HuJSON)")
      ->required();
  cmd->add_option("--nodes", o->in.nodes_path,
                  "The tailnet's devices: the JSON of Tailscale's device-list "
                  "API (GET /api/v2/tailnet/-/devices), optionally with a "
                  "\"users\" list");
  cmd->add_option("--dialect", o->dialect,
                  "aclc (default: Tailscale's language plus deny rules and "
                  "device names) or tailscale (exactly what Tailscale "
                  "accepts)")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->add_option("--assert", o->asserts.file,
                  "More assertions (aclc extension) from a HuJSON file, proved "
                  "with the policy's own");
  cmd->add_option("--base", o->base,
                  "Also show what the change since git revision REV does to "
                  "access (the semantic diff of REV:PATH against the file); "
                  "appended as markdown to $GITHUB_STEP_SUMMARY when set");
  auto* staged = cmd->add_flag("--staged", o->source.staged,
                               "Check the policy as staged in git's index (what the next "
                               "commit records), not the working file: the pre-commit hook's "
                               "mode");
  cmd->add_option("--rev", o->source.rev,
                  "Check the policy as committed at git revision REV, not the working "
                  "file: the pre-push hook's mode")
      ->excludes(staged);
  cmd->add_option("--format", o->format, "text, json or github")
      ->check(CLI::IsMember({"text", "json", "github"}));
  cmd->add_flag("--strict", o->strict,
                "Lint findings (shadowed rules, unused definitions, ...) are "
                "errors, not warnings");
  cmd->add_flag("--no-lint", o->no_lint,
                "Skip lint (its rule checks take seconds on policies of "
                "hundreds of rules)");
  cmd->footer(
      "Exit codes: 0 pass, 1 the policy is invalid, a test fails or (with "
      "--strict) lint finds something, 2 usage or I/O error.");
  return [o]() {
    o->in.dialect = *parse_dialect(o->dialect);
    return run_check(*o);
  };
}

}  // namespace aclc::cli
