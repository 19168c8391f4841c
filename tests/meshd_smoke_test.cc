// The meshd binary end to end on one node: its life cycle rather than its
// data plane (tests/meshd_interop_test.cc and meshd_attack_test.cc cover
// traffic). The test enters a private network namespace, compiles bundles
// with `aclc compile --format bundle`, runs meshd and checks what `wg show`
// reports through the UAPI socket after each step:
//   start: the bundle's peers, the node's address and the peers' routes;
//   SIGHUP with a newer bundle: the new peer set; with a tampered bundle:
//   rejected, the old one stays; restart with an older bundle file: the
//   last accepted one stays in force (no rollback); start with no valid
//   bundle: fail closed, no peers; SIGTERM: exit 0, the socket removed.
// Needs root (TUN, network namespace).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (status) *status = st;
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

template <typename F>
bool eventually(F f, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return f();
}

struct Node {
  std::string name, key, pub;
};

class Smoke {
 public:
  Smoke() {
    char tmpl[] = "/tmp/meshd-smoke-XXXXXX";
    dir = ::mkdtemp(tmpl);
    iface = "mshs" + std::to_string(::getpid() % 100000);
    sock = "/var/run/wireguard/" + iface + ".sock";
    for (const char* n : {"node", "p1", "p2"}) {
      Node x{n, trim(run("wg genkey")), ""};
      write_text(dir + "/" + n + ".key", x.key + "\n");
      ::chmod((dir + "/" + n + ".key").c_str(), 0600);
      x.pub = trim(run("echo " + x.key + " | wg pubkey"));
      nodes.push_back(x);
    }
    std::string devices = R"({"users": [{"name": "u", "email": "u@example.com"}], "devices": [)";
    for (size_t i = 0; i < nodes.size(); ++i) {
      devices += std::string(i ? "," : "") + R"({"hostname": ")" + nodes[i].name +
                 R"(", "addresses": ["100.64.0.)" + std::to_string(i + 1) +
                 R"("], "user": "u@example.com", "tags": [], "wireguardPublicKey": ")" +
                 nodes[i].pub + R"(", "endpoints": ["127.0.0.1:)" + std::to_string(41001 + i) +
                 R"("]})";
    }
    write_text(dir + "/devices.json", devices + "]}");
    // Everyone reaches everyone: node's peers are p1 and p2.
    write_text(dir + "/all.hujson", R"({"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]})");
    // Only p1 and node talk: p2 is no longer node's peer.
    write_text(dir + "/p1.hujson",
               R"({"acls": [{"action": "accept", "src": ["100.64.0.2"], "dst": ["100.64.0.1:*"]}]})");
    run(std::string(ACLC_BIN) + " keygen --out " + dir + "/control.key 2>&1");
  }
  ~Smoke() {
    stop(SIGKILL);
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // Compiles node's bundle from `policy` with `serial`; returns its path.
  std::string compile(const std::string& policy, int serial) {
    std::string out = dir + "/out" + std::to_string(serial);
    fs::create_directories(out);
    int st = 0;
    std::string log = run(std::string(ACLC_BIN) + " compile " + dir + "/" + policy + " --nodes " +
                              dir + "/devices.json --format bundle --sign-key " + dir +
                              "/control.key --out " + out + " --node node --serial " +
                              std::to_string(serial) + " 2>&1",
                          &st);
    INFO(log);
    REQUIRE(st == 0);
    return out + "/node.bundle";
  }

  void install(const std::string& bundle) { fs::copy_file(bundle, dir + "/node.bundle", fs::copy_options::overwrite_existing); }

  void start(const std::string& state = "state") {
    log_path = dir + "/meshd.log";
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(fd, 2);
      ::dup2(fd, 1);
      std::string key = dir + "/node.key", ctl = dir + "/control.key.pub",
                  bundle = dir + "/node.bundle", st = dir + "/" + state;
      ::execl(MESHD_BIN, MESHD_BIN, iface.c_str(), "--private-key", key.c_str(), "--control-key",
              ctl.c_str(), "--bundle", bundle.c_str(), "--state-dir", st.c_str(), "--listen-port",
              "0", nullptr);
      ::_exit(127);
    }
    bool up = eventually([&] { return fs::exists(sock); });
    INFO(read_text(log_path));
    REQUIRE(up);
  }

  // Sends sig and returns the exit status (-1: did not exit in time).
  int stop(int sig) {
    if (pid <= 0) return -1;
    ::kill(pid, sig);
    int status = 0;
    bool done = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
    if (!done) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
    }
    pid = -1;
    return done && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Waits for meshd to exit on its own; its exit status (-1: still running).
  int exit_status() {
    int status = 0;
    bool done = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
    if (!done) return -1;
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::set<std::string> peers() {
    std::istringstream in(run("wg show " + iface + " peers 2>&1"));
    std::set<std::string> s;
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) s.insert(line);
    return s;
  }
  bool log_has(const std::string& text) { return read_text(log_path).find(text) != std::string::npos; }

  std::string dir, iface, sock, log_path;
  std::vector<Node> nodes;
  pid_t pid = -1;
};

}  // namespace

TEST_CASE("meshd smoke: bundle life cycle through wg show, signals and restarts") {
  REQUIRE_MESSAGE(::geteuid() == 0, "needs root (TUN device, network namespace)");
  REQUIRE_MESSAGE(::unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET) failed");
  run("ip link set lo up");
  Smoke s;
  const std::set<std::string> both = {s.nodes[1].pub, s.nodes[2].pub};
  const std::set<std::string> only_p1 = {s.nodes[1].pub};

  std::string b1 = s.compile("all.hujson", 1);
  std::string b2 = s.compile("p1.hujson", 2);
  s.install(b1);
  s.start();
  INFO(read_text(s.log_path));
  CHECK(s.peers() == both);
  std::string allowed = run("wg show " + s.iface + " allowed-ips");
  CHECK(allowed.find("100.64.0.2/32") != std::string::npos);
  CHECK(allowed.find("100.64.0.3/32") != std::string::npos);
  CHECK(run("wg show " + s.iface + " endpoints").find("127.0.0.1:41002") != std::string::npos);
  CHECK(run("ip -4 addr show dev " + s.iface).find("100.64.0.1/32") != std::string::npos);
  CHECK(run("ip -4 route show dev " + s.iface).find("100.64.0.3") != std::string::npos);

  // A newer bundle: p2 goes, p1 stays.
  s.install(b2);
  ::kill(s.pid, SIGHUP);
  CHECK(eventually([&] { return s.peers() == only_p1; }));
  CHECK(s.log_has("installed bundle serial 2"));
  CHECK(eventually([&] { return run("ip -4 route show dev " + s.iface).find("100.64.0.3") == std::string::npos; }));

  // A tampered bundle: rejected, serial 2 stays.
  std::string b3 = s.compile("all.hujson", 3);
  std::string bytes = read_text(b3);
  bytes[bytes.size() / 2] ^= 1;
  write_text(s.dir + "/node.bundle", bytes);
  ::kill(s.pid, SIGHUP);
  CHECK(eventually([&] { return s.log_has("rejected bundle"); }));
  CHECK(s.log_has("keeping serial 2 in force"));
  CHECK(s.peers() == only_p1);

  // An older bundle: a rollback, rejected.
  s.install(b1);
  ::kill(s.pid, SIGHUP);
  CHECK(eventually([&] { return s.log_has("rollback"); }));
  CHECK(s.peers() == only_p1);

  // SIGTERM: exit 0, socket removed, interface gone.
  CHECK(s.stop(SIGTERM) == 0);
  CHECK_FALSE(fs::exists(s.sock));
  CHECK(eventually([&] { return run("ip link show " + s.iface + " 2>&1").find("does not exist") != std::string::npos; }));

  // Restart with the older bundle file still in place: the state directory
  // keeps serial 2 in force.
  s.start();
  CHECK(s.peers() == only_p1);
  CHECK(s.stop(SIGINT) == 0);

  // A fresh node whose only bundle is tampered: fail closed.
  write_text(s.dir + "/node.bundle", bytes);
  s.start("fresh-state");
  CHECK(s.peers().empty());
  CHECK(s.log_has("FAIL CLOSED"));
  CHECK(s.stop(SIGTERM) == 0);
}

TEST_CASE("meshd smoke: deleting the interface or the UAPI socket stops meshd cleanly, as wireguard-go") {
  REQUIRE_MESSAGE(::geteuid() == 0, "needs root (TUN device, network namespace)");
  REQUIRE_MESSAGE(::unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET) failed");
  run("ip link set lo up");
  Smoke s;
  s.install(s.compile("all.hujson", 1));

  s.start();
  run("ip link del " + s.iface);
  CHECK(s.exit_status() == 0);
  CHECK(s.log_has("was deleted: shutting down"));
  CHECK_FALSE(fs::exists(s.sock));

  s.start();
  REQUIRE(::unlink(s.sock.c_str()) == 0);
  CHECK(s.exit_status() == 0);
  CHECK(s.log_has("UAPI socket " + s.sock + " was removed: shutting down"));
  CHECK(eventually([&] { return run("ip link show " + s.iface + " 2>&1").find("does not exist") != std::string::npos; }));
}

TEST_CASE("meshd smoke: usage errors and bad inputs exit non-zero with a message") {
  int st = 0;
  std::string out = run(std::string(MESHD_BIN) + " 2>&1", &st);
  CHECK(WEXITSTATUS(st) == 2);
  CHECK(out.find("missing the interface name") != std::string::npos);
  out = run(std::string(MESHD_BIN) + " --help", &st);
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(out.find("Usage: meshd") != std::string::npos);
  char tmpl[] = "/tmp/meshd-bad-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  write_text(dir + "/bad.key", "not a key\n");
  write_text(dir + "/ctl.pub", "aclc-ed25519-public:AAAA\n");
  out = run(std::string(MESHD_BIN) + " mshbad0 --private-key " + dir + "/bad.key --control-key " +
                dir + "/ctl.pub --bundle " + dir + "/none --state-dir " + dir + "/st 2>&1",
            &st);
  CHECK(WEXITSTATUS(st) == 1);
  CHECK(out.find("not a WireGuard private key") != std::string::npos);
  fs::remove_all(dir);
}
