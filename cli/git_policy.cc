#include "cli/git_policy.h"

#include <filesystem>

#include "cli/git_source.h"

namespace aclc::cli {

std::string GitPolicySource::describe(const std::string& policy_path) const {
  if (staged) return "the staged " + policy_path;
  return policy_path + " at " + rev;
}

std::optional<std::string> read_git_policy(const GitPolicySource& source,
                                           const std::string& policy_path, Diagnostics& diags) {
  std::string err;
  GitRepo repo;
  std::filesystem::path dir = std::filesystem::path(policy_path).parent_path();
  if (repo.open(dir.empty() ? "." : dir.string(), err) != GitStatus::Ok) {
    diags.error(policy_path, {}, err, "git");
    return std::nullopt;
  }
  std::string path = repo.repo_path(policy_path);
  std::string text;
  GitStatus st = source.staged ? repo.read_staged(path, text, err)
                               : repo.read(source.rev, path, text, err);
  if (st != GitStatus::Ok) {
    diags.error(policy_path, {}, err, "git");
    return std::nullopt;
  }
  return text;
}

}  // namespace aclc::cli
