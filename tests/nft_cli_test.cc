// aclc compile --format nft end to end: one loadable ruleset per device,
// written atomically; bad interface, device or directory: exit 2 and
// nothing written.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct Result {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

Result sh(const std::string& cmd) {
  Result r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kExample = std::string(ACLC_SOURCE_DIR) + "/examples/seed-mesh/";

Result compile(const std::string& args) {
  return sh(std::string("NO_COLOR=1 timeout 300 ") + ACLC_BIN + " compile " + kExample + "policy.hujson --nodes " +
            kExample + "devices.json --format nft " + args);
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/aclc-nft-cli-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  size_t files() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(path)) n += e.is_regular_file();
    return n;
  }
};

std::string read(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("compile --format nft --out DIR: one ruleset per device, proved, loadable") {
  TempDir dir;
  Result r = compile("--iface aclc0 --out " + dir.path);
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  CHECK(dir.files() == 7);  // the example's seven devices
  std::string rs = read(dir.path + "/overseer.nft");
  CHECK(rs.find("table inet aclc {") != std::string::npos);
  CHECK(rs.find("iifname \"aclc0\" jump mesh") != std::string::npos);
  Result check = sh("nft -c -f " + dir.path + "/overseer.nft");
  CHECK_MESSAGE(check.exit_code == 0, check.out);
  // Identical input, identical files.
  TempDir again;
  REQUIRE(compile("--iface aclc0 --no-verify --out " + again.path).exit_code == 0);
  CHECK(read(again.path + "/overseer.nft") == rs);
}

TEST_CASE("compile --format nft --node: one device on stdout") {
  Result r = compile("--node iphone --no-verify");
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  CHECK(r.out.find("inbound packet filter of iphone") != std::string::npos);
  CHECK(r.out.find("iifname \"tailscale0\"") != std::string::npos);  // the default interface
}

TEST_CASE("compile --format nft: bad input is exit 2 and nothing is written") {
  TempDir dir;
  Result r = compile("--iface 'bad name' --out " + dir.path);
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("--iface \"bad name\": not an interface name") != std::string::npos);
  r = compile("--node nosuch --out " + dir.path);
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("no device named \"nosuch\"") != std::string::npos);
  r = compile("--out " + dir.path + "/missing");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("missing: No such file or directory") != std::string::npos);
  r = compile("");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("give --out DIR, or --node NAME") != std::string::npos);
  CHECK(dir.files() == 0);
  if (geteuid() != 0) {  // root writes anywhere; the mode check is for users
    chmod(dir.path.c_str(), 0500);
    r = compile("--out " + dir.path);
    CHECK(r.exit_code == 2);
    CHECK(r.out.find("is not writable") != std::string::npos);
    chmod(dir.path.c_str(), 0700);
  }
  CHECK(dir.files() == 0);
}
