// End-to-end tests of `aclc diff` and `aclc check --base`: golden outputs in
// every format, exit codes, and policies read from temporary git
// repositories (a working clone and a bare one) by revision.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string kData = std::string(ACLC_SOURCE_DIR) + "/tests/data/diff";

struct Result {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') q += "'\\''";
    else q += c;
  }
  return q + "'";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command in `dir`; stdout and stderr kept apart.
Result sh(const std::string& dir, const std::string& cmd) {
  char tmpl[] = "/tmp/aclc-diff-err-XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  close(fd);
  std::string full = "cd " + quote(dir) + " && (" + cmd + ") 2>" + quote(tmpl);
  Result r;
  FILE* p = popen(full.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(tmpl);
  unlink(tmpl);
  return r;
}

Result aclc(const std::string& dir, const std::string& args) {
  return sh(dir, "NO_COLOR=1 timeout 120 " + quote(ACLC_BIN) + " " + args);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/aclc-diff-git-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::system(("rm -rf " + quote(path_)).c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A repository with policy.hujson at two commits (tag v1 = old.hujson,
// HEAD = new.hujson), sub/policy.hujson only at HEAD, and a bare clone.
struct Repo {
  TempDir tmp;
  std::string work, bare;
  Repo() {
    work = tmp.path() + "/work";
    bare = tmp.path() + "/bare.git";
    std::string git = "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main ";
    std::string script =
        "mkdir -p work/sub && cd work && " + git + "init -q . && cp " + quote(kData + "/old.hujson") +
        " policy.hujson && cp " + quote(kData + "/nodes.json") + " nodes.json && " + git +
        "add policy.hujson nodes.json && " + git + "commit -q -m one && " + git +
        "tag v1 && cp " + quote(kData + "/new.hujson") + " policy.hujson && cp " +
        quote(kData + "/reordered.hujson") + " sub/policy.hujson && " + git +
        "add policy.hujson sub/policy.hujson && " + git + "commit -q -m two && cd .. && " + git +
        "clone -q --bare work bare.git";
    Result r = sh(tmp.path(), script);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  }
  std::string rev(const std::string& spec) {
    Result r = sh(work, "git rev-parse --short " + spec);
    REQUIRE(r.exit_code == 0);
    return r.out.substr(0, r.out.find('\n'));
  }
};

}  // namespace

TEST_CASE("diff: golden outputs in every format, byte-identical across runs") {
  struct Golden {
    const char* args;
    const char* file;
  };
  const Golden goldens[] = {
      {"diff old.hujson new.hujson --nodes nodes.json", "old-new.nodes.txt"},
      {"diff old.hujson new.hujson --nodes nodes.json --format json", "old-new.nodes.json"},
      {"diff old.hujson new.hujson --nodes nodes.json --format markdown", "old-new.nodes.md"},
      {"diff old.hujson new.hujson", "old-new.txt"},
      {"diff old.hujson reordered.hujson --nodes nodes.json", "old-reordered.nodes.txt"},
  };
  for (const Golden& g : goldens) {
    INFO(g.args);
    Result first = aclc(kData, g.args);
    CHECK(first.exit_code == 0);
    CHECK(first.out == slurp(kData + "/" + g.file));
    Result again = aclc(kData, g.args);
    CHECK(again.out == first.out);
  }
}

TEST_CASE("diff: the golden content says what changed and why") {
  std::string text = slurp(kData + "/old-new.nodes.txt");
  // The new deny rule takes bob's SSH; the old rule that granted it is named.
  CHECK(text.find("- group:eng (only bob) -> tag:web:22") != std::string::npos);
  CHECK(text.find("was allowed by old.hujson:7 acls[0]; now denied by new.hujson:7 acls[0]") !=
        std::string::npos);
  CHECK(text.find("+ group:eng -> tag:web:443") != std::string::npos);
  CHECK(text.find("devices: bob -> web1, web2") != std::string::npos);
  CHECK(text.find("3 flows added, 1 removed") != std::string::npos);
  CHECK(slurp(kData + "/old-reordered.nodes.txt").find(
            "no change in access: the policies are equivalent") != std::string::npos);
  std::string md = slurp(kData + "/old-new.nodes.md");
  CHECK(md.rfind("### ", 0) == 0);
  CHECK(md.find("**3 flows added, 1 removed**") != std::string::npos);
  CHECK(md.find("`new.hujson:8` acls[1]") != std::string::npos);
}

TEST_CASE("diff: exit codes") {
  CHECK(aclc(kData, "diff old.hujson new.hujson --exit-code").exit_code == 1);
  CHECK(aclc(kData, "diff old.hujson reordered.hujson --nodes nodes.json --exit-code").exit_code ==
        0);
  CHECK(aclc(kData, "diff old.hujson").exit_code == 2);
  Result missing = aclc(kData, "diff old.hujson nope.hujson");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("nope.hujson") != std::string::npos);

  TempDir t;
  std::ofstream(t.path() + "/bad.hujson") << "{\n  \"acls\": [\n    {\"action\": \"accept\", \"src\": [\"group:nope\"], \"dst\": [\"*:*\"]}]}\n";
  Result bad = aclc(t.path(), "diff " + quote(kData + "/old.hujson") + " bad.hujson");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("bad.hujson:3:") != std::string::npos);
}

TEST_CASE("diff --git: revisions of every kind, from a working clone and a bare one") {
  Repo repo;
  std::string old_sha = repo.rev("v1");
  Result r = aclc(repo.work, "diff --git HEAD~1..HEAD --nodes nodes.json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("aclc diff HEAD~1:policy.hujson -> HEAD:policy.hujson") != std::string::npos);
  CHECK(r.out.find("allowed by HEAD:policy.hujson:8 acls[1]") != std::string::npos);
  CHECK(r.out.find("was allowed by HEAD~1:policy.hujson:7 acls[0]") != std::string::npos);
  CHECK(r.out.find("3 flows added, 1 removed") != std::string::npos);

  // The same diff whatever names the revisions: tag, short SHA, branch.
  for (const std::string& spec :
       std::vector<std::string>{"v1..main", old_sha + "..HEAD", "v1...main", "v1.."}) {
    INFO(spec);
    Result s = aclc(repo.work, "diff --git " + spec + " --nodes nodes.json");
    CHECK(s.exit_code == 0);
    CHECK(s.out.find("3 flows added, 1 removed") != std::string::npos);
  }
  // A bare clone has no working tree and needs none.
  Result b = aclc(repo.tmp.path(), "diff --git v1..HEAD --repo bare.git --format json --nodes " +
                                       quote(repo.work + "/nodes.json"));
  CHECK(b.exit_code == 0);
  CHECK(b.out.find("\"summary\":{\"added\":3,\"removed\":1}") != std::string::npos);
  // A path below the root, after --.
  Result sub = aclc(repo.work, "diff --git v1..HEAD --nodes nodes.json -- sub/policy.hujson");
  CHECK(sub.exit_code == 2);
  CHECK(sub.err.find("sub/policy.hujson does not exist at v1 (" + old_sha) != std::string::npos);
  // REV alone compares with the working file.
  Result wt = aclc(repo.work, "diff --git HEAD --nodes nodes.json --exit-code");
  CHECK(wt.exit_code == 0);
  CHECK(wt.out.find("no change in access") != std::string::npos);
}

TEST_CASE("diff --git: a missing revision or path is exit 2 and says which") {
  Repo repo;
  Result r = aclc(repo.work, "diff --git nope..HEAD");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("revision 'nope' not found in " + repo.work) != std::string::npos);
  r = aclc(repo.work, "diff --git HEAD~1..HEAD -- other.hujson");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("other.hujson does not exist at HEAD~1 (") != std::string::npos);
  r = aclc(repo.tmp.path(), "diff --git HEAD~5..HEAD --repo bare.git");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("revision 'HEAD~5' not found") != std::string::npos);
  r = aclc("/tmp", "diff --git HEAD~1..HEAD --repo /nonexistent-aclc-dir");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("is not a git repository") != std::string::npos);
  r = aclc(repo.work, "diff --git a..b..c");
  CHECK(r.exit_code == 2);
}

TEST_CASE("check --base: the diff with the report, and in $GITHUB_STEP_SUMMARY") {
  Repo repo;
  std::string summary = repo.tmp.path() + "/summary.md";
  std::ofstream(summary) << "earlier step\n";
  Result r = sh(repo.work, "NO_COLOR=1 GITHUB_STEP_SUMMARY=" + quote(summary) + " " +
                               quote(ACLC_BIN) + " check policy.hujson --nodes nodes.json --base v1");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.find("aclc diff v1:policy.hujson -> policy.hujson") != std::string::npos);
  CHECK(r.err.find("diff against v1:policy.hujson: 3 added, 1 removed") != std::string::npos);
  std::string md = slurp(summary);
  CHECK(md.rfind("earlier step\n### aclc: access changes from `v1:policy.hujson`", 0) == 0);
  CHECK(md.find("| `group:eng (only bob)` | `tag:web:22` |") != std::string::npos);

  Result bad = aclc(repo.work, "check policy.hujson --base nope");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("revision 'nope' not found") != std::string::npos);
}
