// aclc explain: is one flow allowed, which rules match, which decides, and
// what would have to change.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/command_run.h"
#include "cli/commands.h"
#include "verifier/explain.h"

namespace aclc::cli {
namespace {

struct ExplainOptions {
  Inputs in;
  verify::ExplainRequest req;
  std::string proto;
  std::string dialect = "aclc";
};

int run_explain(const ExplainOptions& o) {
  CommandRun run("explain", o.in.policy_path, o.dialect, Format::Text);
  if (auto code = run.load(o.in, StopOn::AnyFailure)) return *code;
  const Loaded& loaded = run.loaded;
  verify::ExplainRequest req = o.req;
  if (!o.proto.empty()) req.proto = o.proto;
  auto e = verify::explain(req, *loaded.policy, *loaded.program, loaded.inventory,
                           o.in.policy_path, run.diags);
  if (!e) return run.finish(kUsageOrIO);
  std::fputs(verify::render_explanation(*e, *loaded.policy, *loaded.program).c_str(), stdout);
  // Explaining is not checking: a denied flow is an answer, not a failure.
  return kPass;
}

}  // namespace

Runner add_explain_command(CLI::App& app);
const CommandRegistration kRegister40(40, add_explain_command);

Runner add_explain_command(CLI::App& app) {
  auto o = std::make_shared<ExplainOptions>();
  auto* cmd = app.add_subcommand(
      "explain",
      "Explain one flow: allowed or denied, every rule that matches, the one "
      "that decides, and for a denied flow every rule that would have to change.");
  cmd->add_option("policy", o->in.policy_path, "The policy file (HuJSON)")->required();
  cmd->add_option("--src", o->req.src,
                  "The source: a device name, address, user, tag, group or host")
      ->required();
  cmd->add_option("--dst", o->req.dst, "The destination as HOST:PORT")->required();
  cmd->add_option("--proto", o->proto, "Protocol name or number (default tcp)");
  cmd->add_option("--nodes", o->in.nodes_path, "The tailnet's devices (device-list JSON)");
  cmd->add_option("--dialect", o->dialect, "aclc (default) or tailscale")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->footer("Exit codes: 0 explained, 1 the policy is invalid, 2 usage or I/O error.");
  return [o]() {
    o->in.dialect = *parse_dialect(o->dialect);
    return run_explain(*o);
  };
}

}  // namespace aclc::cli
