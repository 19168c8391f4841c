// aclc hook install, end to end: a temporary repository with a policy whose
// assertions section states a guarantee; the pre-commit hook refuses a
// commit that breaks it (checking the staged text, not the working file),
// and the pre-push hook refuses to push such a commit to a bare remote.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/assertion_policy.h"
#include "tests/shell_run.h"

namespace {

using aclc::test::read_text;
using aclc::test::sh;
using aclc::test::write_text;
using Result = aclc::test::ShellResult;

std::string quote(const std::string& s) { return aclc::test::shell_quote(s); }

using aclc::test::assertion_policy;
using aclc::test::kAssertionDevices;

struct Repo {
  std::string root;
  std::string work, remote;
  Repo() {
    char tmpl[] = "/tmp/aclc-hook-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    root = tmpl;
    work = root + "/work";
    remote = root + "/remote.git";
    REQUIRE(sh(root, "git init -q --bare remote.git && git init -q -b main work").exit_code == 0);
    REQUIRE(sh(work, "git config user.email t@example.com && git config user.name T && "
                     "git remote add origin ../remote.git")
                .exit_code == 0);
    write_text(work + "/devices.json", kAssertionDevices);
    write_text(work + "/policy.hujson", assertion_policy("5432"));
    REQUIRE(sh(work, "git add . && git commit -q -m initial && git push -q origin main")
                .exit_code == 0);
  }
  ~Repo() { std::system(("rm -rf " + quote(root)).c_str()); }
  Result run(const std::string& cmd) const { return sh(work, cmd); }
};

const std::string kAclc = quote(ACLC_BIN);

TEST_CASE("hook install writes executable pre-commit and pre-push hooks") {
  Repo r;
  Result inst = r.run(kAclc + " hook install --nodes devices.json");
  INFO(inst.out);
  REQUIRE(inst.exit_code == 0);
  for (const char* hook : {"pre-commit", "pre-push"}) {
    std::string path = r.work + "/.git/hooks/" + hook;
    struct stat st {};
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0111) != 0);
    CHECK(read_text(path).find("# aclc-hook: " + std::string(hook)) != std::string::npos);
  }
  // Reinstalling replaces its own hooks.
  CHECK(r.run(kAclc + " hook install --nodes devices.json").exit_code == 0);
}

TEST_CASE("hook install leaves a foreign hook alone unless --force, and then keeps a copy") {
  Repo r;
  write_text(r.work + "/.git/hooks/pre-commit", "#!/bin/sh\necho mine\n");
  Result refused = r.run(kAclc + " hook install");
  CHECK(refused.exit_code == 2);
  CHECK(refused.out.find("was not installed by aclc") != std::string::npos);
  CHECK(read_text(r.work + "/.git/hooks/pre-commit") == "#!/bin/sh\necho mine\n");
  // All or nothing: pre-push was not written either.
  CHECK(access((r.work + "/.git/hooks/pre-push").c_str(), F_OK) != 0);
  CHECK(r.run(kAclc + " hook install --force").exit_code == 0);
  CHECK(read_text(r.work + "/.git/hooks/pre-commit.aclc-backup") == "#!/bin/sh\necho mine\n");
}

TEST_CASE("pre-commit refuses a staged policy that breaks an assertion") {
  Repo r;
  REQUIRE(r.run(kAclc + " hook install --nodes devices.json").exit_code == 0);

  // A good change passes.
  write_text(r.work + "/policy.hujson", assertion_policy("5432,6379"));
  Result good = r.run("git commit -q -am 'allow redis'");
  INFO(good.out);
  CHECK(good.exit_code == 0);

  // Opening SSH breaks the assertion: the commit is refused and names it.
  write_text(r.work + "/policy.hujson", assertion_policy("22,5432"));
  Result bad = r.run("git commit -q -am 'open ssh'");
  INFO(bad.out);
  CHECK(bad.exit_code != 0);
  CHECK(bad.out.find("policy.hujson") != std::string::npos);
  CHECK(r.run("git log --oneline | wc -l").out == "2\n");

  // The hook checks what is staged, not the working file: staging the good
  // version while the working file stays bad lets the commit through.
  write_text(r.work + "/policy.hujson", assertion_policy("5432"));
  REQUIRE(r.run("git add policy.hujson").exit_code == 0);
  write_text(r.work + "/policy.hujson", assertion_policy("22"));
  Result staged_good = r.run("git commit -q -m 'staged good'");
  INFO(staged_good.out);
  CHECK(staged_good.exit_code == 0);

  // A commit that does not touch the policy is not checked.
  write_text(r.work + "/README", "notes\n");
  CHECK(r.run("git add README && git commit -q -m notes").exit_code == 0);
}

TEST_CASE("pre-push refuses a pushed commit whose policy breaks an assertion") {
  Repo r;
  REQUIRE(r.run(kAclc + " hook install --nodes devices.json --hooks pre-push").exit_code == 0);

  write_text(r.work + "/policy.hujson", assertion_policy("5432,6379"));
  REQUIRE(r.run("git commit -q -am 'allow redis'").exit_code == 0);
  Result good = r.run("git push -q origin main");
  INFO(good.out);
  CHECK(good.exit_code == 0);
  // It showed the semantic diff against what the remote had.
  CHECK(good.out.find("6379") != std::string::npos);

  write_text(r.work + "/policy.hujson", assertion_policy("22"));
  REQUIRE(r.run("git commit -q -am 'open ssh'").exit_code == 0);
  Result bad = r.run("git push -q origin main");
  INFO(bad.out);
  CHECK(bad.exit_code != 0);
  // The remote still has the good commit.
  CHECK(sh(r.remote, "git log --oneline main | wc -l").out == "2\n");
}

}  // namespace
