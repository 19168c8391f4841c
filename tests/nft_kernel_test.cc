// The nft back end against the real kernel: a device's ruleset is loaded in
// a network namespace and probed from other namespaces with real TCP, UDP and
// ICMP traffic. What passes must be exactly what the device's Table says.
//
// Topology (all namespaces named aclct<pid>-*, removed on exit):
//
//   srv  [aclcm0] ---+
//   alice [eth0] ----+-- br0 in hub
//   bob   [eth0] ----+
//   carol [eth0] ----+   (a device nothing grants)
//   stray [eth0] ----+   (an address no device owns, inside a granted prefix)
//
// aclcm0 is srv's mesh interface. IPv6 neighbours are static, so no
// neighbour discovery (ICMPv6, which the ruleset filters) is needed, as on a
// real layer-3 mesh interface. Needs root; run by CTest.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "compiler/back/nft.h"
#include "compiler/back/table_build.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"

using namespace aclc;

namespace {

const char* kInventory = R"({"devices": [
  {"hostname": "srv", "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"], "tags": ["tag:srv"]},
  {"hostname": "alice", "addresses": ["100.64.0.10", "fd7a:115c:a1e0::a"], "user": "alice@example.com"},
  {"hostname": "bob", "addresses": ["100.64.0.20", "fd7a:115c:a1e0::14"], "user": "bob@example.com"},
  {"hostname": "carol", "addresses": ["100.64.0.30", "fd7a:115c:a1e0::1e"], "user": "carol@example.com"}],
 "users": [{"name": "alice", "email": "alice@example.com"}, {"name": "bob", "email": "bob@example.com"},
           {"name": "carol", "email": "carol@example.com"}]})";

// aclc dialect: a deny before the accepts it carves, ranges, a prefix
// source, per-protocol rules, ICMP for one user.
const char* kPolicy = R"({
  "groups": {"group:eng": ["alice@example.com", "bob@example.com"]},
  "tagOwners": {"tag:srv": []},
  "acls": [
    {"action": "deny", "src": ["alice@example.com"], "proto": "tcp", "dst": ["tag:srv:85"]},
    {"action": "accept", "src": ["alice@example.com"], "proto": "tcp", "dst": ["tag:srv:22,80-90"]},
    {"action": "accept", "src": ["alice@example.com"], "proto": "udp", "dst": ["tag:srv:5000-5010"]},
    {"action": "accept", "src": ["bob@example.com"], "proto": "tcp", "dst": ["tag:srv:443,8000-8002"]},
    {"action": "accept", "src": ["bob@example.com"], "proto": "icmp", "dst": ["tag:srv:*"]},
    {"action": "accept", "src": ["group:eng"], "proto": "udp", "dst": ["tag:srv:53"]},
    {"action": "accept", "src": ["100.64.0.96/28"], "proto": "tcp", "dst": ["tag:srv:9000"]}
  ]})";

struct Peer {
  std::string name;  // namespace suffix and, except stray, the device
  std::string v4, v6;
  std::string mac;
};

std::string g_prefix;  // "aclct<pid>-"
std::vector<std::string> g_namespaces;
bool g_verbose = false;

int sh(const std::string& cmd) {
  if (g_verbose) std::fprintf(stderr, "+ %s\n", cmd.c_str());
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

void must(const std::string& cmd) {
  if (sh(cmd) != 0) {
    std::fprintf(stderr, "nft_kernel_test: setup failed: %s\n", cmd.c_str());
    throw std::runtime_error(cmd);
  }
}

void cleanup() {
  for (const std::string& ns : g_namespaces) sh("ip netns del " + ns + " 2>/dev/null");
  g_namespaces.clear();
}

void on_signal(int sig) {
  cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

// Namespaces left behind by an earlier run killed before it could clean up.
void remove_stale() {
  FILE* p = popen("ip netns list 2>/dev/null", "r");
  if (!p) return;
  char line[256];
  std::vector<std::string> stale;
  while (fgets(line, sizeof line, p)) {
    std::string ns = strtok(line, " \n");
    if (ns.rfind("aclct", 0) != 0) continue;
    int pid = std::atoi(ns.c_str() + 5);
    if (pid > 0 && kill(pid, 0) != 0) stale.push_back(ns);
  }
  pclose(p);
  for (const std::string& ns : stale) sh("ip netns del " + ns);
}

std::string ns(const std::string& name) { return g_prefix + name; }

void add_ns(const std::string& name) {
  must("ip netns add " + ns(name));
  g_namespaces.push_back(ns(name));
  must("ip -n " + ns(name) + " link set lo up");
}

// Enters a namespace in this (forked, single-threaded) process.
void enter(const std::string& name) {
  std::string path = "/run/netns/" + ns(name);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
    std::perror(("setns " + path).c_str());
    _exit(100);
  }
  close(fd);
}

sockaddr_in6 sockaddr_of(const std::string& addr, uint16_t port) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  std::string a = addr.find(':') == std::string::npos ? "::ffff:" + addr : addr;
  inet_pton(AF_INET6, a.c_str(), &sa.sin6_addr);
  return sa;
}

// In srv: a TCP listener and a UDP echo socket on every port, both
// families (dual-stack). Signals readiness on `ready`, then serves forever.
[[noreturn]] void serve(const std::vector<uint16_t>& ports, int ready) {
  enter("srv");
  std::vector<pollfd> fds;
  std::vector<bool> is_tcp;
  for (uint16_t port : ports) {
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
      int s = socket(AF_INET6, type | SOCK_NONBLOCK, 0);
      int zero = 0, one = 1;
      setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in6 sa{};
      sa.sin6_family = AF_INET6;
      sa.sin6_addr = in6addr_any;
      sa.sin6_port = htons(port);
      if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
          (type == SOCK_STREAM && listen(s, 64) != 0)) {
        std::fprintf(stderr, "serve: port %u: %s\n", port, std::strerror(errno));
        _exit(101);
      }
      fds.push_back({s, POLLIN, 0});
      is_tcp.push_back(type == SOCK_STREAM);
    }
  }
  char c = 1;
  if (write(ready, &c, 1) != 1) _exit(102);
  char buf[2048];
  while (true) {
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      if (is_tcp[i]) {
        int c2 = accept(fds[i].fd, nullptr, nullptr);
        if (c2 >= 0) close(c2);
      } else {
        sockaddr_in6 from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fds[i].fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) sendto(fds[i].fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
      }
    }
  }
}

// In a child in namespace `from`: probes every port of `dst` at once with
// proto 6 (TCP connect) or 17 (UDP echo), waiting at most `wait_ms`.
// Returns one byte per port: 1 reached, 0 not.
std::vector<char> probe(const std::string& from, const std::string& dst, uint8_t proto,
                        const std::vector<uint16_t>& ports, int wait_ms) {
  int pfd[2];
  if (pipe(pfd) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    enter(from);
    std::vector<pollfd> fds;
    std::vector<char> ok(ports.size(), 0);
    for (uint16_t port : ports) {
      int s = socket(AF_INET6, (proto == 6 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
      sockaddr_in6 sa = sockaddr_of(dst, port);
      if (proto == 6) {
        connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
        fds.push_back({s, POLLOUT, 0});
      } else {
        sendto(s, "ping", 4, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
        fds.push_back({s, POLLIN, 0});
      }
    }
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    size_t pending = fds.size();
    while (pending > 0) {
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count());
      if (left <= 0 || poll(fds.data(), fds.size(), left) <= 0) break;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].fd < 0 || fds[i].revents == 0) continue;
        if (proto == 6) {
          int err = 0;
          socklen_t len = sizeof err;
          getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
          ok[i] = err == 0;  // a refusal would also have crossed the filter, but every port listens
        } else {
          char buf[64];
          ok[i] = recv(fds[i].fd, buf, sizeof buf, 0) == 4;
        }
        close(fds[i].fd);
        fds[i].fd = -1;
        --pending;
      }
    }
    ssize_t w = write(pfd[1], ok.data(), ok.size());
    _exit(w == static_cast<ssize_t>(ok.size()) ? 0 : 103);
  }
  close(pfd[1]);
  std::vector<char> out(ports.size(), 0);
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = read(pfd[0], out.data() + got, out.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(pfd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != out.size()) throw std::runtime_error("probe from " + from + " failed");
  return out;
}

bool ping(const std::string& from, const std::string& dst) {
  return sh("ip netns exec " + ns(from) + " ping -q -n -c 1 -W 1 " + dst + " >/dev/null 2>&1") == 0;
}

int run() {
  Diagnostics diags;
  auto inv = parse_inventory(kInventory, "kernel-test-nodes.json", diags);
  policy::LoadOptions opts;
  opts.dialect = Dialect::Aclc;
  auto pol = policy::parse_policy(kPolicy, "kernel-test.hujson", opts, diags);
  if (!inv || !pol || diags.has_errors()) {
    std::fprintf(stderr, "nft_kernel_test: the test policy does not load\n");
    return 1;
  }
  ir::Program prog = lower(*pol, *inv);
  size_t srv_index = static_cast<size_t>(inv->find_device("srv") - inv->devices.data());
  table::Builder builder(prog, *inv);
  table::Table table = builder.for_device(srv_index);
  nft::Options nopts;
  nopts.iface = "aclcm0";
  std::string ruleset = nft::ruleset(table, "srv", nopts);

  // Ports: every cell's edges and neighbours, and a random sample.
  std::set<uint16_t> port_set;
  for (const table::Zone& z : table.zones())
    for (const table::ProtoClass& c : z.classes)
      for (const table::Cell& cell : c.cells)
        for (int p : {int(cell.ports.first) - 1, int(cell.ports.first), int(cell.ports.last),
                      int(cell.ports.last) + 1})
          if (p >= 1 && p <= 65535) port_set.insert(static_cast<uint16_t>(p));
  std::mt19937 rng(4242);
  while (port_set.size() < 60) port_set.insert(static_cast<uint16_t>(1024 + rng() % 60000));
  std::vector<uint16_t> ports(port_set.begin(), port_set.end());

  // The namespaces.
  std::vector<Peer> peers = {
      {"alice", "100.64.0.10", "fd7a:115c:a1e0::a", "02:00:00:00:00:0a"},
      {"bob", "100.64.0.20", "fd7a:115c:a1e0::14", "02:00:00:00:00:14"},
      {"carol", "100.64.0.30", "fd7a:115c:a1e0::1e", "02:00:00:00:00:1e"},
      {"stray", "100.64.0.99", "fd7a:115c:a1e0::63", "02:00:00:00:00:63"},
  };
  const std::string srv4 = "100.64.0.1", srv6 = "fd7a:115c:a1e0::1", srv_mac = "02:00:00:00:00:01";
  add_ns("hub");
  must("ip -n " + ns("hub") + " link add br0 type bridge");
  must("ip -n " + ns("hub") + " link set br0 up");
  auto attach = [&](const std::string& name, const std::string& ifname, const std::string& mac,
                    const std::string& v4, const std::string& v6) {
    add_ns(name);
    must("ip -n " + ns("hub") + " link add p-" + name + " type veth peer name " + ifname + " netns " + ns(name));
    must("ip -n " + ns("hub") + " link set p-" + name + " master br0 up");
    must("ip -n " + ns(name) + " link set " + ifname + " address " + mac + " up");
    must("ip -n " + ns(name) + " addr add " + v4 + "/24 dev " + ifname);
    must("ip -n " + ns(name) + " addr add " + v6 + "/64 dev " + ifname + " nodad");
  };
  attach("srv", "aclcm0", srv_mac, srv4, srv6);
  for (const Peer& p : peers) {
    attach(p.name, "eth0", p.mac, p.v4, p.v6);
    must("ip -n " + ns(p.name) + " -6 neigh add " + srv6 + " lladdr " + srv_mac + " dev eth0 nud permanent");
    must("ip -n " + ns("srv") + " -6 neigh add " + p.v6 + " lladdr " + p.mac + " dev aclcm0 nud permanent");
  }

  // Servers in srv.
  int rp[2];
  if (pipe(rp) != 0) return 1;
  pid_t server = fork();
  if (server == 0) {
    close(rp[0]);
    serve(ports, rp[1]);
  }
  close(rp[1]);
  char ready = 0;
  if (read(rp[0], &ready, 1) != 1) {
    std::fprintf(stderr, "nft_kernel_test: the servers did not start\n");
    kill(server, SIGKILL);
    waitpid(server, nullptr, 0);
    return 1;
  }
  close(rp[0]);
  struct ServerGuard {
    pid_t pid;
    ~ServerGuard() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } guard{server};

  int failures = 0;
  // Without the ruleset everything passes: a later denial is the filter's.
  for (const char* dst : {srv4.c_str(), srv6.c_str()}) {
    std::vector<char> ok = probe("carol", dst, 6, ports, 2000);
    for (size_t i = 0; i < ports.size(); ++i) {
      if (!ok[i]) {
        std::fprintf(stderr, "FAIL: without a ruleset carol cannot reach %s tcp %u: the test network is broken\n",
                     dst, ports[i]);
        return 1;
      }
    }
    if (!ping("carol", dst)) {
      std::fprintf(stderr, "FAIL: without a ruleset carol cannot ping %s\n", dst);
      return 1;
    }
  }

  // Load srv's ruleset twice: the file must replace itself.
  std::string path = "/tmp/" + g_prefix + "srv.nft";
  std::ofstream(path) << ruleset;
  for (int i = 0; i < 2; ++i) {
    if (sh("ip netns exec " + ns("srv") + " nft -f " + path) != 0) {
      std::fprintf(stderr, "FAIL: nft -f rejects the ruleset (load %d):\n%s", i + 1, ruleset.c_str());
      std::remove(path.c_str());
      return 1;
    }
  }
  std::remove(path.c_str());

  size_t probes = 0, passed = 0;
  for (const Peer& p : peers) {
    for (int fam = 0; fam < 2; ++fam) {
      const std::string& src = fam == 0 ? p.v4 : p.v6;
      const std::string& dst = fam == 0 ? srv4 : srv6;
      Addr s = *parse_addr(src), d = *parse_addr(dst);
      for (uint8_t proto : {uint8_t{6}, uint8_t{17}}) {
        std::vector<char> ok = probe(p.name, dst, proto, ports, 1500);
        for (size_t i = 0; i < ports.size(); ++i) {
          bool want = table.allows(s, d, proto, ports[i]);
          ++probes;
          passed += ok[i] != 0;
          if (bool(ok[i]) != want) {
            ++failures;
            std::fprintf(stderr, "FAIL: %s -> %s %s %u: the table %s, the kernel %s\n", src.c_str(), dst.c_str(),
                         proto == 6 ? "tcp" : "udp", ports[i], want ? "allows" : "denies",
                         ok[i] ? "passed it" : "dropped it");
          }
        }
      }
      // ICMP has no port: the table's verdict at port 0.
      bool want = table.allows(s, d, fam == 0 ? 1 : 58, 0);
      bool got = ping(p.name, dst);
      ++probes;
      passed += got;
      if (got != want) {
        ++failures;
        std::fprintf(stderr, "FAIL: %s -> %s ping: the table %s, the kernel %s\n", src.c_str(), dst.c_str(),
                     want ? "allows" : "denies", got ? "passed it" : "dropped it");
      }
    }
  }
  // The drop rule counted the denied probes.
  bool counted = sh("ip netns exec " + ns("srv") +
                    " nft list chain inet aclc mesh | grep -Eq 'counter packets [1-9][0-9]* bytes [0-9]+ drop'") == 0;
  if (!counted) {
    ++failures;
    std::fprintf(stderr, "FAIL: the drop rule's counter did not count\n");
  }
  std::printf("nft_kernel_test: %zu probes over %zu ports, %zu passed, %d mismatches\n", probes, ports.size(),
              passed, failures);
  if (passed == 0 || passed == probes) {
    std::fprintf(stderr, "FAIL: the probes should see both verdicts\n");
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  g_verbose = argc > 1 && std::string(argv[1]) == "-v";
  if (geteuid() != 0) {
    std::fprintf(stderr, "nft_kernel_test: needs root (network namespaces, nft)\n");
    return 1;
  }
  for (const char* tool : {"ip", "nft", "ping"}) {
    if (sh(std::string("command -v ") + tool + " >/dev/null") != 0) {
      std::fprintf(stderr, "nft_kernel_test: %s is not installed: run scripts/setup.sh\n", tool);
      return 1;
    }
  }
  remove_stale();
  g_prefix = "aclct" + std::to_string(getpid()) + "-";
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) signal(sig, on_signal);
  int rc = 1;
  try {
    rc = run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nft_kernel_test: %s\n", e.what());
    rc = 1;
  }
  cleanup();
  return rc;
}
