// The policy's history: a bare git repository (DIR/policy.git) whose
// commits each hold one file, policy.hujson. The current policy is always
// HEAD's: there is no working copy to drift from what was accepted. Every
// accepted policy, and every rollback, is a new commit (author: the API
// key's name; message: what happened and the new ETag), so the log is the
// audit trail. Commits and the ref update are fsynced (libgit2's
// GIT_OPT_ENABLE_FSYNC_GITDIR); the ref moves by one atomic rename, so a
// crash leaves HEAD at the old commit or the new one.
//
// Not thread-safe: the server serializes every call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aclc::control {

// The policy a new state directory starts with: deny everything (fail
// closed) until a policy is deployed. Tailscale's "ts-default" If-Match
// matches it until the first deploy.
extern const char* const kDefaultPolicy;

struct PolicyRevision {
  std::string commit;   // full hex id
  std::string text;     // policy.hujson at that commit
  bool is_default = false;  // the root commit: nothing deployed yet
};

struct HistoryEntry {
  std::string commit;
  std::string author;
  uint64_t time = 0;  // Unix seconds
  std::string summary;  // first line of the message
};

class PolicyHistory {
 public:
  PolicyHistory();
  ~PolicyHistory();
  PolicyHistory(const PolicyHistory&) = delete;
  PolicyHistory& operator=(const PolicyHistory&) = delete;

  // Opens DIR/policy.git, creating it with the default policy as its root
  // commit if it does not exist. False and `error` on failure.
  bool open(const std::string& state_dir, std::string& error);

  // HEAD's policy.
  std::optional<PolicyRevision> current(std::string& error);

  // The policy at a revision ("HEAD~2", a commit id or a prefix of one).
  std::optional<PolicyRevision> at(const std::string& rev, std::string& error);

  // Commits `text` on top of `parent` (which must still be HEAD: libgit2
  // refuses the ref update otherwise) and returns the new commit id.
  std::optional<std::string> commit(const std::string& parent, const std::string& text,
                                    const std::string& author, const std::string& message,
                                    std::string& error);

  // The newest `limit` commits, newest first.
  std::vector<HistoryEntry> log(size_t limit, std::string& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aclc::control
