// Runs the aclc executable: keygen, compile --format bundle, lower. Checks
// what a node and a user see: bundles that open with the public key and
// decide like the policy, and bad inputs refused with exit 2, a clear
// message, and nothing written.
#include <doctest/doctest.h>
#include <sodium.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"
#include "compiler/ir/evaluate.h"
#include "tests/shell_run.h"

namespace fs = std::filesystem;

namespace {

using Result = aclc::test::ShellResult;
using aclc::test::shell_quote;
std::string quote(const std::string& s) { return shell_quote(s); }

Result run(const std::string& args) {
  return aclc::test::sh(ACLC_SOURCE_DIR, "NO_COLOR=1 timeout 120 " + shell_quote(ACLC_BIN) + " " + args);
}

std::string slurp(const std::string& path) { return aclc::test::read_text(path); }

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/aclc-bundle-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& data) const {
    std::ofstream(*this / name, std::ios::binary) << data;
    return *this / name;
  }
  std::string mkdir(const std::string& name) const {
    fs::create_directories(*this / name);
    return *this / name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

size_t file_count(const std::string& dir) {
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++n;
  return n;
}

const std::string kPolicy = "examples/seed-mesh/policy.hujson";
const std::string kNodes = "examples/seed-mesh/devices.json";
const std::string kSeed = std::string("compile ") + kPolicy + " --nodes " + kNodes;

// A key made by aclc keygen in `dir`, and its public key.
std::pair<std::string, std::array<uint8_t, 32>> keygen(const TempDir& dir) {
  Result r = run("keygen --out " + quote(dir / "control.key"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  std::string err;
  auto pk = aclc::bundle::public_key_from_text(slurp(dir / "control.key.pub"), err);
  REQUIRE_MESSAGE(pk, err);
  return {dir / "control.key", *pk};
}

}  // namespace

TEST_CASE("keygen: secret key 0600, public key printed and written, no silent overwrite") {
  TempDir dir;
  Result r = run("keygen --out " + quote(dir / "k"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  struct stat st {};
  REQUIRE(::stat((dir / "k").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::string pub = slurp(dir / "k.pub");
  CHECK(pub.rfind("aclc-ed25519-public:", 0) == 0);
  CHECK(contains(r.out, pub));
  std::string err;
  auto key = aclc::bundle::SigningKey::from_text(slurp(dir / "k"), err);
  REQUIRE_MESSAGE(key, err);
  CHECK(aclc::bundle::public_key_to_text(key->public_key()) == pub);

  std::string before = slurp(dir / "k");
  r = run("keygen --out " + quote(dir / "k"));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, "refusing to overwrite"));
  CHECK(slurp(dir / "k") == before);
  r = run("keygen --force --out " + quote(dir / "k"));
  CHECK(r.exit_code == 0);
  CHECK(slurp(dir / "k") != before);

  r = run("keygen --out " + quote(dir / "no/such/dir/k"));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, "cannot write"));
}

TEST_CASE("compile --format bundle: every bundle opens with the public key and decides like the policy") {
  TempDir dir;
  auto [key, pk] = keygen(dir);
  std::string out = dir.mkdir("out");
  Result r = run(kSeed + " --format bundle --sign-key " + quote(key) + " --out " + quote(out) +
                 " --serial 7 --ttl 1h");
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  CHECK(contains(r.out, "every table proved equal to the policy"));

  aclc::Diagnostics d;
  auto inv = aclc::parse_inventory(slurp(std::string(ACLC_SOURCE_DIR) + "/" + kNodes), "n", d);
  REQUIRE(inv);
  std::string policy_text = slurp(std::string(ACLC_SOURCE_DIR) + "/" + kPolicy);
  auto pol = aclc::policy::parse_policy(policy_text, "p", aclc::policy::LoadOptions{}, d);
  REQUIRE(pol);
  aclc::ir::Program prog = aclc::lower(*pol, *inv);
  aclc::ir::Evaluator eval(prog, *inv);

  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(policy_text.data()),
                     policy_text.size());
  char hex[2 * sizeof h + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);

  CHECK(file_count(out) == inv->devices.size());
  for (const aclc::Device& dev : inv->devices) {
    std::string bytes = slurp(out + "/" + dev.hostname + ".bundle");
    REQUIRE(!bytes.empty());
    std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    aclc::bundle::Acceptance want;
    want.control_key = pk;
    want.device = dev.hostname;
    want.now = uint64_t(std::time(nullptr));
    std::string err;
    auto b = aclc::bundle::open(span, want, err);
    REQUIRE_MESSAGE(b, dev.hostname << ": " << err);
    CHECK(b->serial == 7);
    CHECK(b->expires_at - b->issued_at == 3600);
    CHECK(b->revision == std::string("sha256:") + hex);
    CHECK(b->addresses.size() == dev.addresses.size());
    // A node that has installed serial 7 refuses it again.
    want.have_last = true;
    want.last_serial = 7;
    CHECK_FALSE(aclc::bundle::open(span, want, err));
    CHECK(contains(err, "rollback"));
    // Decisions: every device's address as source, a spread of ports.
    for (const aclc::Device& src : inv->devices)
      for (uint8_t proto : {uint8_t(6), uint8_t(17), uint8_t(1)})
        for (uint16_t port : {0, 22, 80, 443, 3000, 5432, 6379, 8080, 65535}) {
          aclc::ir::Flow f{src.addresses[0], dev.addresses[0], proto, port};
          bool policy = eval.decide(f).verdict == aclc::ir::Verdict::Allow;
          bool bundle = b->allows(4, f.src.value, f.dst.value, proto, port);
          CHECK_MESSAGE(policy == bundle, src.hostname << " -> " << dev.hostname << ":" << port
                                                       << "/" << int(proto));
        }
    // Peers carry their addresses as allowed IPs.
    for (const auto& peer : b->peers) CHECK_FALSE(peer.allowed_ips.empty());
  }
}

TEST_CASE("compile --format bundle --node: one file; --no-verify still signs") {
  TempDir dir;
  auto [key, pk] = keygen(dir);
  std::string out = dir.mkdir("out");
  Result r = run(kSeed + " --format bundle --node overseer --no-verify --sign-key " + quote(key) +
                 " --out " + quote(out));
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  CHECK_FALSE(contains(r.out, "proved"));
  CHECK(file_count(out) == 1);
  CHECK(fs::exists(out + "/overseer.bundle"));
}

TEST_CASE("bad inputs: exit 2, a clear message, nothing written") {
  TempDir dir;
  auto [key, pk] = keygen(dir);
  std::string out = dir.mkdir("out");
  // Bundles already there must survive any failed run unchanged.
  Result first = run(kSeed + " --format bundle --serial 1 --sign-key " + quote(key) + " --out " +
                     quote(out));
  REQUIRE_MESSAGE(first.exit_code == 0, first.out);
  std::string overseer = slurp(out + "/overseer.bundle");
  size_t files = file_count(out);

  auto refused = [&](const std::string& args, const std::string& message) {
    Result r = run(kSeed + " --format bundle --serial 2 " + args);
    CHECK_MESSAGE(r.exit_code == 2, args << "\n" << r.out);
    CHECK_MESSAGE(contains(r.out, message), args << "\n" << r.out);
    CHECK_FALSE(contains(r.out, "internal error"));
    CHECK(file_count(out) == files);
    CHECK(slurp(out + "/overseer.bundle") == overseer);
  };
  std::string to_out = " --out " + quote(out);
  SUBCASE("no signing key given") { refused(to_out, "--format bundle needs --sign-key"); }
  SUBCASE("signing key missing") {
    refused("--sign-key " + quote(dir / "absent.key") + to_out, "No such file or directory");
  }
  SUBCASE("signing key unreadable (a directory)") {
    refused("--sign-key " + quote(out) + to_out, "is a directory");
  }
  SUBCASE("signing key malformed: the public key given") {
    refused("--sign-key " + quote(dir / "control.key.pub") + to_out, "not an aclc signing key");
  }
  SUBCASE("signing key malformed: truncated") {
    std::string k = slurp(key);
    refused("--sign-key " + quote(dir.write("short.key", k.substr(0, 30))) + to_out,
            "malformed signing key");
  }
  SUBCASE("signing key malformed: binary garbage") {
    refused("--sign-key " + quote(dir.write("garbage.key", std::string("\x00\xff\x01", 3))) + to_out,
            "not an aclc signing key");
  }
  SUBCASE("output directory missing") {
    refused("--sign-key " + quote(key) + " --out " + quote(dir / "nowhere"), "No such file or directory");
  }
  SUBCASE("output directory is a file") {
    refused("--sign-key " + quote(key) + " --out " + quote(key), "not a directory");
  }
  SUBCASE("output directory under a file") {
    refused("--sign-key " + quote(key) + " --out " + quote(key + "/sub"), "Not a directory");
  }
  SUBCASE("no output directory given") {
    refused("--sign-key " + quote(key), "needs --out DIR");
  }
  SUBCASE("device that does not exist") {
    refused("--sign-key " + quote(key) + to_out + " --node nosuchhost", "no device named \"nosuchhost\"");
  }
  SUBCASE("bad --ttl") {
    refused("--sign-key " + quote(key) + to_out + " --ttl 7days", "--ttl 7days");
  }
}

TEST_CASE("lower: accept-only output that Tailscale's dialect accepts, proved equivalent") {
  TempDir dir;
  Result r = run("lower " + kPolicy + " --nodes " + kNodes + " --out " + quote(dir / "lowered.hujson"));
  REQUIRE_MESSAGE(r.exit_code == 0, r.out);
  CHECK(contains(r.out, "equivalent for the 7 devices in " + kNodes + ": proved"));
  std::string text = slurp(dir / "lowered.hujson");
  CHECK_FALSE(contains(text, "\"deny\""));
  CHECK_FALSE(contains(text, "macstudio"));
  Result check = run("check --dialect tailscale " + quote(dir / "lowered.hujson") + " --nodes " + kNodes);
  CHECK_MESSAGE(check.exit_code == 0, check.out);
  // The original fails Tailscale's dialect; the rewrite is what fixes that.
  Result orig = run("check --dialect tailscale " + kPolicy + " --nodes " + kNodes);
  CHECK(orig.exit_code == 1);
}

TEST_CASE("lower: what cannot be lowered is an error at its position; bad inputs exit 2") {
  TempDir dir;
  std::string pol = dir.write("posture.hujson", R"({
  "postures": {"posture:mac": ["node:os == 'macos'"]},
  "acls": [
    {"action": "accept", "src": ["*"], "dst": ["*:22"], "srcPosture": ["posture:mac"]}
  ]
})");
  Result r = run("lower " + quote(pol) + " --nodes " + kNodes);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "posture.hujson:4:5"));
  CHECK(contains(r.out, "srcPosture"));

  r = run("lower " + kPolicy + " --nodes " + quote(dir / "absent.json"));
  CHECK(r.exit_code == 2);
  r = run("lower " + kPolicy + " --nodes " + kNodes + " --out " + quote(dir / "no/such/dir/x"));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, "cannot write"));
}
