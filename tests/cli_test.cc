// Runs the aclc executable on good and bad inputs and checks what a user
// sees: the exit code, file:line:col in every finding, the output formats.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "compiler/front/hujson.h"
#include "tests/shell_run.h"

namespace {

using Result = aclc::test::ShellResult;
using aclc::test::shell_quote;

Result run(const std::string& args) {
  return aclc::test::sh(ACLC_SOURCE_DIR, "NO_COLOR=1 timeout 120 " + shell_quote(ACLC_BIN) + " " + args);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/aclc-cli-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::system(("rm -rf " + shell_quote(path_)).c_str()); }
  std::string write(const std::string& name, const std::string& data) {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << data;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* kSeedPolicy = "examples/seed-mesh/policy.hujson";
const char* kSeedNodes = "examples/seed-mesh/devices.json";

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("seed policy passes in the aclc dialect") {
  Result r = run(std::string("check ") + kSeedPolicy + " --nodes " + kSeedNodes);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "ok"));
}

TEST_CASE("seed policy fails in the tailscale dialect at lines 4, 13, 19") {
  Result r = run(std::string("check ") + kSeedPolicy + " --nodes " +
                 kSeedNodes + " --dialect tailscale");
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, std::string(kSeedPolicy) + ":4:"));
  CHECK(contains(r.out, std::string(kSeedPolicy) + ":13:"));
  CHECK(contains(r.out, std::string(kSeedPolicy) + ":19:"));
  CHECK(contains(r.out, "action=\"deny\" is not supported"));
}

TEST_CASE("github format prints workflow commands with positions") {
  Result r = run(std::string("check ") + kSeedPolicy +
                 " --dialect tailscale --format github --nodes " + kSeedNodes);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "::error file=examples/seed-mesh/policy.hujson,line=19,col="));
}

TEST_CASE("json format is valid JSON with the verdict") {
  Result r = run(std::string("check ") + kSeedPolicy +
                 " --dialect tailscale --format json --nodes " + kSeedNodes);
  CHECK(r.exit_code == 1);
  aclc::hujson::Value v;
  REQUIRE_NOTHROW(v = aclc::hujson::parse(r.out));
  REQUIRE(v.is_object());
  bool saw_ok = false;
  for (const auto& m : v.members)
    if (m.key == "ok") {
      saw_ok = true;
      CHECK(m.value.is_bool());
      CHECK(m.value.boolean == false);
    }
  CHECK(saw_ok);
}

TEST_CASE("malformed HuJSON: exit 1 with the position of the bad byte") {
  TempDir d;
  std::string p = d.write("p.hujson", "{\n  \"acls\": [\n    {\"action\" \"accept\"}\n  ]\n}\n");
  Result r = run("check " + shell_quote(p));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, p + ":3:15:"));
}

TEST_CASE("wrong types and unknown sections: exit 1 at the position") {
  TempDir d;
  std::string p1 = d.write("types.hujson", "{\"acls\": \"everyone\"}");
  Result r1 = run("check " + shell_quote(p1));
  CHECK(r1.exit_code == 1);
  CHECK(contains(r1.out, p1 + ":1:10:"));

  std::string p2 = d.write("unknown.hujson", "{\n  \"aclz\": []\n}");
  Result r2 = run("check " + shell_quote(p2));
  CHECK(r2.exit_code == 1);
  CHECK(contains(r2.out, p2 + ":2:3:"));
  CHECK(contains(r2.out, "json: unknown field \"aclz\""));
}

TEST_CASE("a million nesting levels is an error, not a crash") {
  TempDir d;
  std::string deep(1000000, '[');
  std::string p = d.write("deep.hujson", "{\"derpMap\": " + deep);
  Result r = run("check " + shell_quote(p));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, p + ":1:"));
  CHECK(contains(r.out, "depth"));
}

TEST_CASE("invalid UTF-8 is an error at its position") {
  TempDir d;
  std::string p = d.write("utf8.hujson", "{\"groups\": {\"group:a\": [\"a\xff@b.c\"]}}");
  Result r = run("check " + shell_quote(p));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, p + ":1:25:"));
  CHECK(contains(r.out, "UTF-8"));
}

TEST_CASE("a 100 MB file is read and judged without crashing") {
  TempDir d;
  std::string big = "{\n  // " + std::string(50u << 20, 'x') + "\n  \"hosts\": {\"h\": \"100.64.0.1\"},\n  \"derpMap\": {\"regions\": {\"900\": {\"regionName\": \"" +
                    std::string(50u << 20, 'y') + "\"}}},\n  \"acls\": []\n}\n";
  std::string p = d.write("big.hujson", big);
  Result r = run("check " + shell_quote(p));
  CHECK((r.exit_code == 0 || r.exit_code == 1));
  CHECK(contains(r.out, "big.hujson"));
}

TEST_CASE("unreadable inputs: exit 2 naming the file") {
  TempDir d;
  Result r1 = run("check " + shell_quote(d.path() + "/missing.hujson"));
  CHECK(r1.exit_code == 2);
  CHECK(contains(r1.out, "missing.hujson"));
  CHECK(contains(r1.out, "No such file"));

  Result r2 = run("check " + shell_quote(d.path()));
  CHECK(r2.exit_code == 2);
  CHECK(contains(r2.out, "is a directory"));

  Result r3 = run(std::string("check ") + kSeedPolicy + " --nodes " +
                  shell_quote(d.path() + "/nodes.json"));
  CHECK(r3.exit_code == 2);
}

TEST_CASE("a device list of the wrong shape: exit 2 at the position") {
  TempDir d;
  std::string n = d.write("nodes.json", "{\"devices\": [{\"hostname\": \"a\", \"addresses\": \"100.64.0.1\"}]}");
  Result r = run(std::string("check ") + kSeedPolicy + " --nodes " + shell_quote(n));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, n + ":1:"));

  std::string n2 = d.write("list.json", "[1, 2, 3]");
  Result r2 = run(std::string("check ") + kSeedPolicy + " --nodes " + shell_quote(n2));
  CHECK(r2.exit_code == 2);
  CHECK(contains(r2.out, n2));
}

TEST_CASE("usage errors exit 2; --help exits 0 on every command") {
  CHECK(run("").exit_code == 2);
  CHECK(run("check").exit_code == 2);
  CHECK(run(std::string("check ") + kSeedPolicy + " --format yaml").exit_code == 2);
  CHECK(run(std::string("check ") + kSeedPolicy + " --dialect go").exit_code == 2);
  CHECK(run("--help").exit_code == 0);
  Result h = run("check --help");
  CHECK(h.exit_code == 0);
  CHECK(contains(h.out, "--nodes"));
}
