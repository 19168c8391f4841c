// aclc diff: what a policy change does to access, flow by flow.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/diff_run.h"
#include "cli/file_io.h"
#include "cli/git_source.h"
#include "cli/output.h"
#include "cli/report.h"
#include "compiler/front/dialect.h"

namespace aclc::cli {
namespace {

struct DiffOptions {
  std::vector<std::string> files;  // OLD NEW, or (with --git) [PATH]
  std::string git;                 // REV1..REV2
  std::string repo = ".";
  std::string nodes;
  std::string dialect = "aclc";
  std::string format = "text";
  bool exit_code = false;
};

// Prints a usage or input problem (exit 2) or the findings that make a
// version invalid (exit 1), in text or json.
int fail(const DiffOptions& o, const Diagnostics& diags, int code) {
  Summary s;
  s.command = "diff";
  s.policy = "diff";
  s.dialect = o.dialect;
  s.exit_code = code;
  print_report(o.format == "json" ? Format::Json : Format::Text, diags, s);
  return code;
}

int usage_error(const DiffOptions& o, const std::string& message) {
  Diagnostics d;
  d.error("", {}, message, "usage");
  return fail(o, d, kUsageOrIO);
}

// Reads both versions: two files, or a path at two revisions.
int read_versions(const DiffOptions& o, PolicyVersion& a, PolicyVersion& b) {
  std::string err;
  Diagnostics d;
  if (o.git.empty()) {
    if (o.files.size() != 2) return usage_error(o, "aclc diff needs OLD and NEW (or --git REV1..REV2)");
    for (auto [v, path] : {std::pair{&a, o.files[0]}, std::pair{&b, o.files[1]}}) {
      auto text = read_file(path, err);
      if (!text) {
        d.error(path, {}, err, "io");
        return fail(o, d, kUsageOrIO);
      }
      v->name = path;
      v->text = std::move(*text);
    }
    return kPass;
  }
  if (o.files.size() > 1) return usage_error(o, "with --git give at most one PATH (after --)");
  auto range = parse_git_range(o.git, err);
  if (!range) return usage_error(o, err);
  GitRepo repo;
  auto git_fail = [&](const std::string& message) {
    d.error("", {}, message, "git");
    return fail(o, d, kUsageOrIO);
  };
  if (repo.open(o.repo, err) != GitStatus::Ok) return git_fail(err);
  std::string path = o.files.empty() ? "policy.hujson" : repo.repo_path(o.files[0]);
  std::string from = range->from;
  if (range->merge_base) {
    if (repo.merge_base(range->from, range->to, from, err) != GitStatus::Ok) return git_fail(err);
    from = from.substr(0, 12);
  }
  if (repo.read(from, path, a.text, err) != GitStatus::Ok) return git_fail(err);
  a.name = from + ":" + path;
  if (range->worktree) {
    std::string file = o.files.empty() ? path : o.files[0];
    auto text = read_file(file, err);
    if (!text) return git_fail(err);
    b.name = file;
    b.text = std::move(*text);
  } else {
    if (repo.read(range->to, path, b.text, err) != GitStatus::Ok) return git_fail(err);
    b.name = range->to + ":" + path;
  }
  return kPass;
}

int run_diff_command(const DiffOptions& o) {
  PolicyVersion a, b;
  if (int rc = read_versions(o, a, b); rc != kPass) return rc;
  Inputs common;
  common.nodes_path = o.nodes;
  common.dialect = *parse_dialect(o.dialect);
  Diagnostics diags;
  DiffRun run;
  LoadStatus st = run_diff(a, b, common, run, diags);
  if (st == LoadStatus::InputError) return fail(o, diags, kUsageOrIO);
  if (st == LoadStatus::PolicyInvalid) return fail(o, diags, kPolicyFailure);
  // Warnings (an undeclared tag on a device, ...) still go to stderr.
  print_findings(diags);

  verify::DiffReport report = run.report();
  std::string out;
  if (o.format == "json") {
    out = verify::render_diff_json(report);
  } else if (o.format == "markdown") {
    out = verify::render_diff_markdown(report);
  } else {
    out = verify::render_diff_text(report, use_colour(stdout));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return o.exit_code && !run.diff.equivalent() ? 1 : kPass;
}

}  // namespace

Runner add_diff_command(CLI::App& app);
const CommandRegistration kRegister30(30, add_diff_command);

Runner add_diff_command(CLI::App& app) {
  auto o = std::make_shared<DiffOptions>();
  auto* cmd = app.add_subcommand(
      "diff",
      "Every flow a policy change adds or removes, grouped by selector, each with the rule "
      "that decides it at file:line. An empty diff proves the versions equivalent.");
  cmd->add_option("files", o->files,
                  "OLD NEW policy files; with --git, the policy's PATH in the repository "
                  "(after --; default policy.hujson)");
  cmd->add_option("--git", o->git,
                  "Compare PATH at two revisions: REV1..REV2, REV1...REV2 (from their merge "
                  "base) or REV (against the working file); any revision git accepts");
  cmd->add_option("--repo", o->repo, "The git repository (default: the current directory; bare "
                                     "repositories work)");
  cmd->add_option("--nodes", o->nodes,
                  "The tailnet's devices (Tailscale's device-list JSON): the diff is then over "
                  "those devices and also lists device pairs");
  cmd->add_option("--dialect", o->dialect, "aclc (default) or tailscale")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->add_option("--format", o->format, "text (default), json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->add_flag("--exit-code", o->exit_code,
                "Exit 1 when access changed (as git diff --exit-code)");
  cmd->footer(
      "Exit codes: 0 the diff was computed (empty or not; with --exit-code only when empty), "
      "1 a version is invalid (or, with --exit-code, access changed), 2 usage or I/O error "
      "(a revision or path that does not exist).");
  return [o]() { return run_diff_command(*o); };
}

}  // namespace aclc::cli
