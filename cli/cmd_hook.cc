// aclc hook install: git hooks that check the policy before it leaves the
// author's machine. pre-commit checks the policy as staged (what the commit
// records, not the working file); pre-push checks each pushed commit's
// policy and shows the semantic diff against what the remote has.
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/file_io.h"
#include "cli/git_source.h"
#include "cli/output.h"

namespace aclc::cli {
namespace {

// The line that marks a hook as ours, so reinstalling replaces it and
// anything else is left alone unless --force.
constexpr const char* kMarker = "# aclc-hook:";

struct HookOptions {
  std::string policy = "policy.hujson";
  std::string nodes;
  std::string assert_file;
  std::string repo = ".";
  std::vector<std::string> hooks = {"pre-commit", "pre-push"};
  bool strict = false;
  bool force = false;
  bool print = false;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The aclc that installs the hook runs it, unless $ACLC names another or it
// has gone (then whatever `aclc` is on PATH).
std::string self_path() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("aclc") : p.string();
}

// The check's arguments after the policy mode (--staged / --rev).
std::string check_args(const HookOptions& o) {
  std::string a = shell_quote(o.policy);
  if (!o.nodes.empty()) a += " --nodes " + shell_quote(o.nodes);
  if (!o.assert_file.empty()) a += " --assert " + shell_quote(o.assert_file);
  if (o.strict) a += " --strict";
  return a;
}

std::string preamble(const std::string& hook, const std::string& what) {
  return "#!/bin/sh\n" + std::string(kMarker) + " " + hook + "\n# " + what +
         "\n# Installed by `aclc hook install`; reinstall to change it. Bypass once with "
         "`git " +
         (hook == "pre-commit" ? "commit" : "push") +
         " --no-verify`.\n"
         "ACLC=${ACLC:-" +
         shell_quote(self_path()) +
         "}\n"
         "[ -x \"$ACLC\" ] || ACLC=aclc\n";
}

// The paths whose change makes the policy worth checking.
std::string watched(const HookOptions& o) {
  std::string w = shell_quote(o.policy);
  if (!o.nodes.empty()) w += " " + shell_quote(o.nodes);
  if (!o.assert_file.empty()) w += " " + shell_quote(o.assert_file);
  return w;
}

std::string pre_commit_script(const HookOptions& o) {
  return preamble("pre-commit", "Checks the staged policy before each commit.") +
         "# Nothing to check when the commit does not touch the policy or its inputs.\n"
         "git diff --cached --quiet -- " +
         watched(o) +
         " && exit 0\n"
         "exec \"$ACLC\" check --staged " +
         check_args(o) + "\n";
}

std::string pre_push_script(const HookOptions& o) {
  return preamble("pre-push",
                  "Checks the policy of every pushed commit, with the semantic diff against "
                  "the remote.") +
         "zero=0000000000000000000000000000000000000000\n"
         "status=0\n"
         "while read -r local_ref local_oid remote_ref remote_oid; do\n"
         "  case $local_oid in *[!0]*) ;; *) continue ;; esac  # a deleted ref\n"
         "  base=\n"
         "  case $remote_oid in *[!0]*) git cat-file -e \"$remote_oid^{commit}\" 2>/dev/null && "
         "base=$remote_oid ;; esac\n"
         "  if [ -n \"$base\" ] && git diff --quiet \"$base\" \"$local_oid\" -- " +
         watched(o) +
         "; then continue; fi\n"
         "  echo \"aclc: checking $local_ref ($local_oid)\" >&2\n"
         "  if [ -n \"$base\" ]; then\n"
         "    \"$ACLC\" check --rev \"$local_oid\" --base \"$base\" " +
         check_args(o) +
         " || status=1\n"
         "  else\n"
         "    \"$ACLC\" check --rev \"$local_oid\" " +
         check_args(o) +
         " || status=1\n"
         "  fi\n"
         "done\n"
         "exit $status\n";
}

int install(const HookOptions& o) {
  std::string err;
  GitRepo repo;
  if (repo.open(o.repo, err) != GitStatus::Ok) {
    std::fprintf(stderr, "aclc hook: %s\n", err.c_str());
    return kUsageOrIO;
  }
  HookOptions rel = o;
  rel.policy = repo.repo_path(o.policy);
  if (!o.nodes.empty()) rel.nodes = repo.repo_path(o.nodes);
  if (!o.assert_file.empty()) rel.assert_file = repo.repo_path(o.assert_file);

  std::string dir;
  if (repo.hooks_dir(dir, err) != GitStatus::Ok) {
    std::fprintf(stderr, "aclc hook: %s\n", err.c_str());
    return kUsageOrIO;
  }
  // Every hook is checked before any is written: all or nothing.
  std::vector<std::pair<std::string, std::string>> plan;
  for (const auto& hook : o.hooks) {
    std::string script = hook == "pre-commit" ? pre_commit_script(rel) : pre_push_script(rel);
    std::string path = (std::filesystem::path(dir) / hook).string();
    if (o.print) {
      std::printf("# %s\n%s\n", path.c_str(), script.c_str());
      continue;
    }
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !o.force) {
      std::string old_err;
      auto old = read_file(path, old_err);
      if (!old || old->find(kMarker) == std::string::npos) {
        std::fprintf(stderr,
                     "aclc hook: %s exists and was not installed by aclc; not replaced "
                     "(--force replaces it, keeping a copy as %s.aclc-backup)\n",
                     path.c_str(), path.c_str());
        return kUsageOrIO;
      }
    }
    plan.emplace_back(path, script);
  }
  if (o.print) return kPass;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "aclc hook: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
    return kUsageOrIO;
  }
  for (const auto& [path, script] : plan) {
    std::string old_err;
    auto old = read_file(path, old_err);
    if (old && old->find(kMarker) == std::string::npos &&
        !write_file_atomic(path + ".aclc-backup", *old, err, 0755)) {
      std::fprintf(stderr, "aclc hook: %s\n", err.c_str());
      return kUsageOrIO;
    }
    if (!write_file_atomic(path, script, err, 0755)) {
      std::fprintf(stderr, "aclc hook: %s\n", err.c_str());
      return kUsageOrIO;
    }
    std::printf("installed %s\n", path.c_str());
  }
  return kPass;
}

}  // namespace

Runner add_hook_command(CLI::App& app);
const CommandRegistration kRegisterHook(90, add_hook_command);

Runner add_hook_command(CLI::App& app) {
  auto o = std::make_shared<HookOptions>();
  auto* cmd = app.add_subcommand("hook", "Git hooks that run aclc check before a commit or a push.");
  cmd->require_subcommand(1);
  auto* inst = cmd->add_subcommand(
      "install",
      "Install git hooks in the repository: pre-commit checks the staged policy "
      "(aclc check --staged); pre-push checks each pushed commit's policy and shows the "
      "semantic diff against the remote (aclc check --rev C --base REMOTE).");
  inst->add_option("--policy", o->policy, "The policy file, relative to the repository root")
      ->capture_default_str();
  inst->add_option("--nodes", o->nodes, "The device list the checks use (--nodes of aclc check)");
  inst->add_option("--assert", o->assert_file, "More assertions (--assert of aclc check)");
  inst->add_option("--repo", o->repo, "A directory in the repository")->capture_default_str();
  inst->add_option("--hooks", o->hooks, "Which hooks")
      ->check(CLI::IsMember({"pre-commit", "pre-push"}))
      ->delimiter(',')
      ->capture_default_str();
  inst->add_flag("--strict", o->strict, "Lint findings fail the hook (aclc check --strict)");
  inst->add_flag("--force", o->force,
                 "Replace hooks aclc did not install (the old one is kept as "
                 "HOOK.aclc-backup)");
  inst->add_flag("--print", o->print, "Print the hook scripts instead of installing them");
  inst->footer("Exit codes: 0 installed, 2 usage or I/O error (nothing is written then).");
  return [o, inst]() -> int { return inst->parsed() ? install(*o) : int(kUsageOrIO); };
}

}  // namespace aclc::cli
