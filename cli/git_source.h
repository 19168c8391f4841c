// Reading a policy as it was at a git revision, straight from the object
// database (libgit2): no checkout, no working tree needed, so it works in a
// bare clone and in CI's shallow checkouts as long as the commits are there.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace aclc::cli {

// A revision range as `git diff` takes it.
struct GitRange {
  std::string from;            // "HEAD~1", "main", "v1.2", "abc123"
  std::string to;              // empty with `worktree`
  bool worktree = false;       // "REV" alone: REV against the working file
  bool merge_base = false;     // "A...B": merge-base(A, B) against B
};

// "A..B", "A...B" (either end empty means HEAD), or "REV". Returns nullopt
// and sets `error` for an empty spec or one with more than three dots.
std::optional<GitRange> parse_git_range(std::string_view spec, std::string& error);

enum class GitStatus {
  Ok,
  NoRepository,  // "DIR is not a git repository"
  NoRevision,    // "revision 'nope' not found in DIR"
  NoPath,        // "policy.hujson does not exist at abc1234"
  Error,         // anything else libgit2 reports
};

class GitRepo {
 public:
  GitRepo();
  ~GitRepo();
  GitRepo(const GitRepo&) = delete;
  GitRepo& operator=(const GitRepo&) = delete;

  // Opens the repository containing `dir` (searching upwards; bare
  // repositories too). On failure `error` says why.
  GitStatus open(const std::string& dir, std::string& error);

  // The commit a revision names, as a full hex id.
  GitStatus resolve(const std::string& rev, std::string& commit_id, std::string& error);
  // merge-base(a, b) as a full hex id.
  GitStatus merge_base(const std::string& a, const std::string& b, std::string& commit_id,
                       std::string& error);

  // The text of `path` (relative to the repository root) at `rev`.
  GitStatus read(const std::string& rev, const std::string& path, std::string& text,
                 std::string& error);

  // The text of `path` as staged in the index (what `git commit` would
  // record): NoPath when the index has no such entry.
  GitStatus read_staged(const std::string& path, std::string& text, std::string& error);

  // Where git looks for this repository's hooks: core.hooksPath (relative
  // to the working tree) when set, else GIT_DIR/hooks.
  GitStatus hooks_dir(std::string& dir, std::string& error);

  // A path as the repository names it: a path given relative to the
  // current directory (or absolute) inside the working tree becomes
  // relative to its root; anything else is returned unchanged.
  std::string repo_path(const std::string& path) const;

  // Where the repository is, for messages: the working tree, or the git
  // directory of a bare repository.
  const std::string& location() const { return location_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string location_;
};

}  // namespace aclc::cli
