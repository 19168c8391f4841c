// ci/aclc-ci.sh as GitHub Actions runs it on a pull request: a clone whose
// origin has main, a branch with a change, GITHUB_ACTIONS, GITHUB_BASE_REF
// and GITHUB_STEP_SUMMARY set. A good change passes and its semantic diff
// lands in the job summary; a broken one fails with a file:line annotation.
#include <doctest/doctest.h>
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

// origin.git has main; work is a clone on branch "change".
struct PullRequest {
  std::string root, work;
  PullRequest() {
    char tmpl[] = "/tmp/aclc-ci-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    root = tmpl;
    work = root + "/work";
    REQUIRE(sh(root, "git init -q -b main seed && cd seed && git config user.email t@e && "
                     "git config user.name T")
                .exit_code == 0);
    write_text(root + "/seed/devices.json", kAssertionDevices);
    write_text(root + "/seed/policy.hujson", assertion_policy("5432"));
    REQUIRE(sh(root, "cd seed && git add . && git commit -q -m initial && cd .. && "
                     "git clone -q --bare seed origin.git && git clone -q origin.git work && "
                     "cd work && git config user.email t@e && git config user.name T && "
                     "git checkout -q -b change")
                .exit_code == 0);
  }
  ~PullRequest() { std::system(("rm -rf " + quote(root)).c_str()); }

  Result ci(const std::string& step) const {
    std::string env = "GITHUB_ACTIONS=true GITHUB_BASE_REF=main GITHUB_STEP_SUMMARY=" +
                      quote(root + "/summary.md") + " ACLC=" + quote(ACLC_BIN) +
                      " ACLC_NODES=devices.json NO_COLOR=1 ";
    return sh(work, env + "sh " + quote(std::string(ACLC_SOURCE_DIR) + "/ci/aclc-ci.sh") +
                        " " + step);
  }
};

TEST_CASE("aclc-ci.sh check: a good pull request passes and its diff is in the job summary") {
  PullRequest pr;
  write_text(pr.work + "/policy.hujson", assertion_policy("5432,6379"));
  REQUIRE(sh(pr.work, "git commit -q -am 'allow redis'").exit_code == 0);
  Result r = pr.ci("check");
  INFO(r.out);
  CHECK(r.exit_code == 0);
  std::string summary = read_text(pr.root + "/summary.md");
  INFO(summary);
  CHECK(summary.find("6379") != std::string::npos);
}

TEST_CASE("aclc-ci.sh check: a pull request that breaks an assertion fails with an annotation") {
  PullRequest pr;
  write_text(pr.work + "/policy.hujson", assertion_policy("22,5432"));
  REQUIRE(sh(pr.work, "git commit -q -am 'open ssh'").exit_code == 0);
  Result r = pr.ci("check");
  INFO(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("::error file=policy.hujson,line=") != std::string::npos);
}

TEST_CASE("aclc-ci.sh: usage errors and a missing API key exit 2") {
  PullRequest pr;
  CHECK(pr.ci("").exit_code == 2);
  Result r = pr.ci("deploy");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("TS_API_KEY") != std::string::npos);
}

// `aclc serve` in the background on a free port, with a signing key and an
// API key; stopped when the test ends.
struct Server {
  std::string dir, url, key;
  explicit Server(const std::string& root) : dir(root + "/control") {
    std::string a = quote(ACLC_BIN);
    REQUIRE(sh(root, "mkdir -p control && " + a + " keygen --out control/sign.key").exit_code == 0);
    Result k = sh(root, a + " serve --state control/state --create-api-key ci@example.com");
    REQUIRE(k.exit_code == 0);
    size_t at = k.out.find("aclc-api-");
    REQUIRE(at != std::string::npos);
    key = k.out.substr(at, k.out.find('\n', at) - at);
    REQUIRE(sh(root, a + " serve --state control/state --sign-key control/sign.key --listen "
                         "127.0.0.1:0 >control/serve.log 2>&1 & echo $! >control/serve.pid")
                .exit_code == 0);
    const std::string marker = "listening on http://127.0.0.1:";
    for (int i = 0; i < 200 && url.empty(); ++i) {
      std::string log = read_text(dir + "/serve.log");
      size_t m = log.find(marker);
      if (m != std::string::npos && log.find('\n', m) != std::string::npos) {
        url = "http://127.0.0.1:" + std::to_string(std::stoi(log.substr(m + marker.size())));
      } else {
        usleep(50 * 1000);
      }
    }
    REQUIRE_MESSAGE(!url.empty(), read_text(dir + "/serve.log"));
  }
  ~Server() { sh(dir, "kill $(cat serve.pid) 2>/dev/null; true"); }
  std::string served_policy() const {
    return sh(dir, "git --git-dir state/policy.git show HEAD:policy.hujson").out;
  }
};

TEST_CASE("aclc-ci.sh deploy: checks, deploys to aclc serve, and refuses to overwrite an edit made elsewhere") {
  PullRequest pr;
  Server control(pr.root);
  std::string env = "ACLC_API=" + quote(control.url) + " TS_API_KEY=" + quote(control.key) +
                    " ACLC_ETAG_FILE=.aclc-etag ";
  // GitHub's push event: no base branch.
  auto deploy = [&] {
    return sh(pr.work, env + "ACLC=" + quote(ACLC_BIN) + " ACLC_NODES=devices.json NO_COLOR=1 sh " +
                           quote(std::string(ACLC_SOURCE_DIR) + "/ci/aclc-ci.sh") + " deploy");
  };
  Result first = deploy();
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  CHECK(control.served_policy() == assertion_policy("5432"));

  // A broken policy is stopped by the check: nothing is deployed.
  write_text(pr.work + "/policy.hujson", assertion_policy("22"));
  Result broken = deploy();
  INFO(broken.out);
  CHECK(broken.exit_code == 1);
  CHECK(control.served_policy() == assertion_policy("5432"));

  // Someone edits the policy through the API behind CI's back; CI's next
  // deploy (from the cached ETag of its last one) must not overwrite it.
  write_text(pr.root + "/edited.hujson", assertion_policy("5432,8080"));
  REQUIRE(sh(pr.root, "TS_API_KEY=" + quote(control.key) + " " + quote(ACLC_BIN) +
                          " deploy edited.hujson --api " + quote(control.url))
              .exit_code == 0);
  write_text(pr.work + "/policy.hujson", assertion_policy("5432,6379"));
  Result stale = deploy();
  INFO(stale.out);
  CHECK(stale.exit_code == 1);
  CHECK(control.served_policy() == assertion_policy("5432,8080"));
}

}  // namespace
