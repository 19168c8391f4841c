#include "cli/git_source.h"

#include <git2.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace aclc::cli {
namespace {

// libgit2 needs one global initialisation per process; it is reference
// counted, so each GitRepo holds one.
struct Libgit2 {
  Libgit2() { git_libgit2_init(); }
  ~Libgit2() { git_libgit2_shutdown(); }
};

std::string last_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

std::string short_id(const git_oid& id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &id);
  return std::string(buf).substr(0, 12);
}

std::string full_id(const git_oid& id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &id);
  return buf;
}

template <typename T, void (*Free)(T*)>
struct Owned {
  T* p = nullptr;
  ~Owned() {
    if (p) Free(p);
  }
};

}  // namespace

struct GitRepo::Impl {
  Libgit2 lib;
  git_repository* repo = nullptr;
  ~Impl() {
    if (repo) git_repository_free(repo);
  }

  // The commit a revision names, peeled through tags.
  GitStatus commit(const std::string& rev, git_commit*& out, std::string& error,
                   const std::string& where) {
    Owned<git_object, git_object_free> obj;
    int rc = git_revparse_single(&obj.p, repo, rev.c_str());
    if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC || rc < 0) {
      if (rc == GIT_EAMBIGUOUS) {
        error = "revision '" + rev + "' is ambiguous in " + where;
      } else {
        error = "revision '" + rev + "' not found in " + where;
      }
      return GitStatus::NoRevision;
    }
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, obj.p, GIT_OBJECT_COMMIT) != 0) {
      error = "revision '" + rev + "' is not a commit in " + where;
      return GitStatus::NoRevision;
    }
    out = reinterpret_cast<git_commit*>(peeled);
    return GitStatus::Ok;
  }
};

std::optional<GitRange> parse_git_range(std::string_view spec, std::string& error) {
  if (spec.empty()) {
    error = "empty revision range: use REV1..REV2 (or REV to compare with the working file)";
    return std::nullopt;
  }
  GitRange r;
  size_t dots = spec.find("..");
  if (dots == std::string_view::npos) {
    r.from = std::string(spec);
    r.worktree = true;
    return r;
  }
  size_t rest = dots + 2;
  if (rest < spec.size() && spec[rest] == '.') {
    r.merge_base = true;
    ++rest;
  }
  r.from = std::string(spec.substr(0, dots));
  r.to = std::string(spec.substr(rest));
  if (r.to.find("..") != std::string::npos || (!r.to.empty() && r.to[0] == '.')) {
    error = "malformed revision range '" + std::string(spec) + "': use REV1..REV2";
    return std::nullopt;
  }
  if (r.from.empty()) r.from = "HEAD";
  if (r.to.empty()) r.to = "HEAD";
  return r;
}

GitRepo::GitRepo() : impl_(std::make_unique<Impl>()) {}
GitRepo::~GitRepo() = default;

GitStatus GitRepo::open(const std::string& dir, std::string& error) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  std::string shown = ec ? dir : abs.lexically_normal().string();
  if (!shown.empty() && shown.size() > 1 && shown.back() == '/') shown.pop_back();
  int rc = git_repository_open_ext(&impl_->repo, dir.c_str(), 0, nullptr);
  if (rc != 0) {
    impl_->repo = nullptr;
    error = shown + " is not a git repository" +
            (rc == GIT_ENOTFOUND ? std::string() : " (" + last_error() + ")");
    return GitStatus::NoRepository;
  }
  const char* wd = git_repository_workdir(impl_->repo);
  location_ = wd ? wd : git_repository_path(impl_->repo);
  if (location_.size() > 1 && location_.back() == '/') location_.pop_back();
  return GitStatus::Ok;
}

GitStatus GitRepo::resolve(const std::string& rev, std::string& commit_id, std::string& error) {
  git_commit* c = nullptr;
  GitStatus st = impl_->commit(rev, c, error, location_);
  if (st != GitStatus::Ok) return st;
  commit_id = full_id(*git_commit_id(c));
  git_commit_free(c);
  return GitStatus::Ok;
}

GitStatus GitRepo::merge_base(const std::string& a, const std::string& b, std::string& commit_id,
                              std::string& error) {
  std::string ia, ib;
  GitStatus st = resolve(a, ia, error);
  if (st != GitStatus::Ok) return st;
  st = resolve(b, ib, error);
  if (st != GitStatus::Ok) return st;
  git_oid oa, ob, base;
  git_oid_fromstr(&oa, ia.c_str());
  git_oid_fromstr(&ob, ib.c_str());
  int rc = git_merge_base(&base, impl_->repo, &oa, &ob);
  if (rc != 0) {
    error = "revisions '" + a + "' and '" + b + "' have no common ancestor in " + location_;
    return GitStatus::NoRevision;
  }
  commit_id = full_id(base);
  return GitStatus::Ok;
}

GitStatus GitRepo::read(const std::string& rev, const std::string& path, std::string& text,
                        std::string& error) {
  git_commit* c = nullptr;
  GitStatus st = impl_->commit(rev, c, error, location_);
  if (st != GitStatus::Ok) return st;
  Owned<git_commit, git_commit_free> commit{c};
  std::string at = short_id(*git_commit_id(c));
  std::string at_text = rev == at ? at : rev + " (" + at + ")";
  Owned<git_tree, git_tree_free> tree;
  if (git_commit_tree(&tree.p, c) != 0) {
    error = "cannot read the tree of " + at_text + ": " + last_error();
    return GitStatus::Error;
  }
  Owned<git_tree_entry, git_tree_entry_free> entry;
  if (path.empty() || git_tree_entry_bypath(&entry.p, tree.p, path.c_str()) != 0) {
    error = path + " does not exist at " + at_text;
    return GitStatus::NoPath;
  }
  if (git_tree_entry_type(entry.p) != GIT_OBJECT_BLOB) {
    error = path + " is not a file at " + at_text;
    return GitStatus::NoPath;
  }
  Owned<git_blob, git_blob_free> blob;
  if (git_blob_lookup(&blob.p, impl_->repo, git_tree_entry_id(entry.p)) != 0) {
    error = "cannot read " + path + " at " + at_text + ": " + last_error();
    return GitStatus::Error;
  }
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.p));
  text.assign(data, static_cast<size_t>(git_blob_rawsize(blob.p)));
  return GitStatus::Ok;
}

GitStatus GitRepo::hooks_dir(std::string& dir, std::string& error) {
  Owned<git_config, git_config_free> config;
  if (git_repository_config_snapshot(&config.p, impl_->repo) != 0) {
    error = "cannot read the configuration of " + location_ + ": " + last_error();
    return GitStatus::Error;
  }
  const char* hooks_path = nullptr;
  if (git_config_get_string(&hooks_path, config.p, "core.hooksPath") == 0 && hooks_path &&
      *hooks_path) {
    std::filesystem::path p(hooks_path);
    const char* wd = git_repository_workdir(impl_->repo);
    if (p.is_relative() && wd) p = std::filesystem::path(wd) / p;
    dir = p.lexically_normal().string();
    return GitStatus::Ok;
  }
  dir = (std::filesystem::path(git_repository_path(impl_->repo)) / "hooks").string();
  return GitStatus::Ok;
}

GitStatus GitRepo::read_staged(const std::string& path, std::string& text,
                               std::string& error) {
  Owned<git_index, git_index_free> index;
  // git runs hooks with GIT_INDEX_FILE naming the index the commit is made
  // from (`git commit -a` and `git commit PATH` stage into a temporary one).
  const char* index_file = std::getenv("GIT_INDEX_FILE");
  int rc = index_file && *index_file ? git_index_open(&index.p, index_file)
                                     : git_repository_index(&index.p, impl_->repo);
  if (rc != 0) {
    error = "cannot read the index of " + location_ + ": " + last_error();
    return GitStatus::Error;
  }
  const git_index_entry* entry = git_index_get_bypath(index.p, path.c_str(), 0);
  if (entry == nullptr) {
    error = path + " is not staged in " + location_;
    return GitStatus::NoPath;
  }
  Owned<git_blob, git_blob_free> blob;
  if (git_blob_lookup(&blob.p, impl_->repo, &entry->id) != 0) {
    error = "cannot read the staged " + path + ": " + last_error();
    return GitStatus::Error;
  }
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob.p));
  text.assign(data, static_cast<size_t>(git_blob_rawsize(blob.p)));
  return GitStatus::Ok;
}

std::string GitRepo::repo_path(const std::string& path) const {
  const char* wd = impl_->repo ? git_repository_workdir(impl_->repo) : nullptr;
  if (!wd) return path;
  std::error_code ec;
  std::filesystem::path p(path);
  if (!p.is_absolute() && !std::filesystem::exists(p, ec)) return path;
  std::filesystem::path abs = std::filesystem::weakly_canonical(p, ec);
  if (ec) return path;
  std::filesystem::path root = std::filesystem::weakly_canonical(wd, ec);
  if (ec) return path;
  std::filesystem::path rel = abs.lexically_relative(root);
  if (rel.empty() || *rel.begin() == "..") return path;
  return rel.generic_string();
}

}  // namespace aclc::cli
