// aclc prove: check the policy's assertions with Z3, for the devices that
// exist (--nodes) or for every device that could join.
#include <CLI/CLI.hpp>

#include "cli/command_run.h"
#include "cli/commands.h"
#include "cli/prove_step.h"

namespace aclc::cli {
namespace {

struct ProveOptions {
  Inputs in;
  AssertInputs asserts;
  std::string dialect = "aclc";
  std::string format = "text";
};

int run_prove(const ProveOptions& o) {
  CommandRun run("prove", o.in.policy_path, o.dialect, *parse_format(o.format));
  if (auto code = run.load(o.in, StopOn::InputError)) return *code;
  if (run.status == LoadStatus::Ok) {
    if (!has_assertions(o.asserts, run.loaded)) {
      run.diags.error(o.in.policy_path, {}, "nothing to prove: the policy has no \"assertions\"",
                      "no-assertions",
                      "add an \"assertions\" section, --assert FILE or --assert-json");
      return run.finish(kUsageOrIO);
    }
    if (!run_assertion_step(o.asserts, run.loaded, run.diags, run.summary))
      return run.finish(kUsageOrIO);
  }
  return run.finish_by_findings();
}

}  // namespace

Runner add_prove_command(CLI::App& app);
const CommandRegistration kRegister20(20, add_prove_command);

Runner add_prove_command(CLI::App& app) {
  auto o = std::make_shared<ProveOptions>();
  auto* cmd = app.add_subcommand(
      "prove",
      "Prove the policy's assertions with Z3 (an aclc extension): for the "
      "devices of --nodes, or for every device that could join. Each failure "
      "gives a counterexample and the rule that decides it.");
  cmd->add_option("policy", o->in.policy_path, "The policy file (HuJSON)")->required();
  cmd->add_option("--nodes", o->in.nodes_path,
                  "The tailnet's devices (Tailscale's device-list JSON); the "
                  "default scope becomes \"nodes\"");
  auto* file = cmd->add_option("--assert", o->asserts.file,
                               "Assertions in a HuJSON file: an array or {\"assertions\": [...]}");
  cmd->add_option("--assert-json", o->asserts.json, "One assertion (or an array) as JSON")
      ->excludes(file);
  cmd->add_option("--rlimit", o->asserts.rlimit,
                  "Z3 resource units per query (deterministic; unknown fails)");
  cmd->add_option("--dialect", o->dialect, "aclc (default) or tailscale")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->add_option("--format", o->format, "text, json or github")
      ->check(CLI::IsMember({"text", "json", "github"}));
  cmd->footer("Exit codes: 0 every assertion holds, 1 one fails or the policy is invalid, 2 usage or I/O error.");
  return [o]() {
    o->in.dialect = *parse_dialect(o->dialect);
    return run_prove(*o);
  };
}

}  // namespace aclc::cli
