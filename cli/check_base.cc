#include "cli/check_base.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/diff_run.h"
#include "cli/file_io.h"
#include "cli/git_source.h"

namespace aclc::cli {

int run_base_diff(const std::string& rev, const Inputs& in, Format format, Diagnostics& diags,
                  Summary& summary, const std::string* head_text) {
  std::string err;
  GitRepo repo;
  std::filesystem::path dir = std::filesystem::path(in.policy_path).parent_path();
  if (repo.open(dir.empty() ? "." : dir.string(), err) != GitStatus::Ok) {
    diags.error(in.policy_path, {}, err, "git");
    return kUsageOrIO;
  }
  std::string path = repo.repo_path(in.policy_path);
  PolicyVersion base, head;
  if (repo.read(rev, path, base.text, err) != GitStatus::Ok) {
    diags.error("", {}, err, "git");
    return kUsageOrIO;
  }
  base.name = rev + ":" + path;
  auto text = head_text ? std::optional<std::string>(*head_text) : read_file(in.policy_path, err);
  if (!text) {
    diags.error(in.policy_path, {}, err, "io");
    return kUsageOrIO;
  }
  head.name = in.policy_path;
  head.text = std::move(*text);

  // The base version's own findings are not this check's: keep them apart.
  Diagnostics diff_diags;
  DiffRun run;
  LoadStatus st = run_diff(base, head, in, run, diff_diags);
  if (st != LoadStatus::Ok) {
    const Diagnostic* first = diff_diags.first_error();
    diags.warning(in.policy_path, {},
                  "no semantic diff against " + base.name + ": " +
                      (first ? format_location(first->file, first->pos) + ": " + first->message
                             : std::string("it cannot be loaded")),
                  "diff-skipped");
    return kPass;
  }
  verify::DiffReport report = run.report();
  if (format != Format::Json) {
    std::string out = verify::render_diff_text(report, format == Format::Text && use_colour(stdout));
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  summary.notes.push_back("diff against " + base.name + ": " +
                          (run.diff.equivalent()
                               ? std::string("no change in access")
                               : std::to_string(run.diff.added.size()) + " added, " +
                                     std::to_string(run.diff.removed.size()) + " removed"));
  if (const char* step_summary = std::getenv("GITHUB_STEP_SUMMARY");
      step_summary && *step_summary) {
    std::string md = verify::render_diff_markdown(report) + "\n";
    std::FILE* f = std::fopen(step_summary, "a");
    if (!f || std::fwrite(md.data(), 1, md.size(), f) != md.size()) {
      diags.warning(step_summary, {}, "cannot append the diff to $GITHUB_STEP_SUMMARY",
                    "io");
    }
    if (f) std::fclose(f);
  }
  return kPass;
}

}  // namespace aclc::cli
