#include "control/policy_history.h"

#include <git2.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace aclc::control {

const char* const kDefaultPolicy =
    "// The policy of a new aclc control server: no rule, so nothing is\n"
    "// allowed until a policy is deployed (aclc deploy).\n"
    "{\n"
    "  \"acls\": []\n"
    "}\n";

namespace {

constexpr const char* kFile = "policy.hujson";

std::string last_git_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

std::string hex_id(const git_oid& id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &id);
  return buf;
}

template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  Owned() = default;
  Owned(const Owned&) = delete;
  ~Owned() {
    if (p) Free(p);
  }
};

// git_signature needs an email: the key's name when it is one.
std::string email_of(const std::string& author) {
  return author.find('@') != std::string::npos ? author : author + "@aclc.invalid";
}

}  // namespace

struct PolicyHistory::Impl {
  Impl() {
    git_libgit2_init();
    // Objects and refs reach the disk before a commit is reported.
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
  }
  ~Impl() {
    if (repo) git_repository_free(repo);
    git_libgit2_shutdown();
  }
  git_repository* repo = nullptr;

  std::optional<PolicyRevision> read_commit(git_commit* c, std::string& error) {
    Owned<git_tree, git_tree_free> tree;
    Owned<git_tree_entry, git_tree_entry_free> entry;
    Owned<git_blob, git_blob_free> blob;
    if (git_commit_tree(&tree.p, c) != 0 ||
        git_tree_entry_bypath(&entry.p, tree.p, kFile) != 0 ||
        git_blob_lookup(&blob.p, repo, git_tree_entry_id(entry.p)) != 0) {
      error = std::string("commit ") + hex_id(*git_commit_id(c)) + " has no " + kFile;
      return std::nullopt;
    }
    PolicyRevision r;
    r.commit = hex_id(*git_commit_id(c));
    r.text.assign(static_cast<const char*>(git_blob_rawcontent(blob.p)),
                  size_t(git_blob_rawsize(blob.p)));
    r.is_default = git_commit_parentcount(c) == 0;
    return r;
  }

  bool write_commit(const git_commit* parent, const std::string& text, const std::string& author,
                    const std::string& message, git_oid& out, std::string& error) {
    git_oid blob_id, tree_id;
    Owned<git_treebuilder, git_treebuilder_free> tb;
    Owned<git_tree, git_tree_free> tree;
    Owned<git_signature, git_signature_free> sig;
    if (git_blob_create_from_buffer(&blob_id, repo, text.data(), text.size()) != 0 ||
        git_treebuilder_new(&tb.p, repo, nullptr) != 0 ||
        git_treebuilder_insert(nullptr, tb.p, kFile, &blob_id, GIT_FILEMODE_BLOB) != 0 ||
        git_treebuilder_write(&tree_id, tb.p) != 0 ||
        git_tree_lookup(&tree.p, repo, &tree_id) != 0 ||
        git_signature_now(&sig.p, author.c_str(), email_of(author).c_str()) != 0) {
      error = "cannot store the policy in git: " + last_git_error();
      return false;
    }
    const git_commit* parents[1] = {parent};
    if (git_commit_create(&out, repo, "HEAD", sig.p, sig.p, "UTF-8", message.c_str(), tree.p,
                          parent ? 1 : 0, parents) != 0) {
      error = "cannot commit the policy: " + last_git_error();
      return false;
    }
    return true;
  }
};

PolicyHistory::PolicyHistory() : impl_(std::make_unique<Impl>()) {}
PolicyHistory::~PolicyHistory() = default;

bool PolicyHistory::open(const std::string& state_dir, std::string& error) {
  std::string path = state_dir + "/policy.git";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      error = "cannot open " + path + ": " + std::strerror(errno);
      return false;
    }
    if (git_repository_init(&impl_->repo, path.c_str(), /*is_bare=*/1) != 0) {
      error = "cannot create " + path + ": " + last_git_error();
      return false;
    }
  } else if (git_repository_open_bare(&impl_->repo, path.c_str()) != 0) {
    error = path + " is not a git repository: " + last_git_error();
    return false;
  }
  if (git_repository_head_unborn(impl_->repo) == 1) {
    git_oid id;
    if (!impl_->write_commit(nullptr, kDefaultPolicy, "aclc",
                             "Default policy: deny everything until a policy is deployed\n",
                             id, error))
      return false;
  }
  return true;
}

std::optional<PolicyRevision> PolicyHistory::current(std::string& error) {
  return at("HEAD", error);
}

std::optional<PolicyRevision> PolicyHistory::at(const std::string& rev, std::string& error) {
  Owned<git_object, git_object_free> obj;
  Owned<git_object, git_object_free> peeled;
  if (rev.empty() || rev.find("..") != std::string::npos ||
      git_revparse_single(&obj.p, impl_->repo, rev.c_str()) != 0 ||
      git_object_peel(&peeled.p, obj.p, GIT_OBJECT_COMMIT) != 0) {
    error = "revision '" + rev + "' not found in the policy history";
    return std::nullopt;
  }
  return impl_->read_commit(reinterpret_cast<git_commit*>(peeled.p), error);
}

std::optional<std::string> PolicyHistory::commit(const std::string& parent,
                                                 const std::string& text,
                                                 const std::string& author,
                                                 const std::string& message,
                                                 std::string& error) {
  git_oid parent_id, out;
  Owned<git_commit, git_commit_free> p;
  if (git_oid_fromstr(&parent_id, parent.c_str()) != 0 ||
      git_commit_lookup(&p.p, impl_->repo, &parent_id) != 0) {
    error = "parent commit " + parent + " not found";
    return std::nullopt;
  }
  if (!impl_->write_commit(p.p, text, author, message, out, error)) return std::nullopt;
  return hex_id(out);
}

std::vector<HistoryEntry> PolicyHistory::log(size_t limit, std::string& error) {
  std::vector<HistoryEntry> out;
  Owned<git_revwalk, git_revwalk_free> walk;
  if (git_revwalk_new(&walk.p, impl_->repo) != 0 || git_revwalk_push_head(walk.p) != 0) {
    error = "cannot read the policy history: " + last_git_error();
    return out;
  }
  git_oid id;
  while (out.size() < limit && git_revwalk_next(&id, walk.p) == 0) {
    Owned<git_commit, git_commit_free> c;
    if (git_commit_lookup(&c.p, impl_->repo, &id) != 0) break;
    HistoryEntry e;
    e.commit = hex_id(id);
    const git_signature* a = git_commit_author(c.p);
    e.author = a && a->name ? a->name : "";
    e.time = uint64_t(git_commit_time(c.p));
    const char* s = git_commit_summary(c.p);
    e.summary = s ? s : "";
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace aclc::control
