// The GitOps loop end to end, as its users run it (issue 6 §5, §6):
//
//   a git repository with the seed policy (examples/seed-mesh) and
//   assertions that hold for it; `aclc hook install`; a commit that breaks
//   an assertion is refused by the pre-commit hook and `aclc check --base`
//   fails on it; good commits are deployed with ci/aclc-ci.sh deploy to
//   `aclc serve`; iphone, overseer and ctmprod run meshd --control in
//   network namespaces, registered with pre-auth keys (tags as in the
//   example's devices.json), and pick each deploy up within 5 s; traffic
//   the new policy allows passes and what it now denies is dropped.
//   Then: a revoked device is dropped by its peers within one poll, and
//   with the server stopped the nodes keep enforcing the last good bundle.
//
// And static hosting (§3): two meshd nodes poll their bundles from a plain
// directory served by nginx (its own prefix and configuration); a new
// bundle is installed within the poll interval, a tampered or older one is
// rejected and the last good one stays in force.
//
// The change deployed: group:admin loses the owner's user (so ctmprod, an
// untagged device of the owner, is no admin any more: ctmprod -> overseer:22
// goes from allowed to dropped), and mobile devices gain overseer:8080
// (iphone -> overseer:8080 goes from dropped to allowed).
#include <doctest/doctest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/mesh/bundle_kit.h"
#include "tests/mesh/error.h"
#include "tests/mesh/keys.h"
#include "tests/mesh/netns.h"
#include "tests/mesh/probe.h"
#include "tests/mesh/process.h"
#include "tests/mesh/testing.h"
#include "tests/mesh/wg_tool.h"

using namespace mesh;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSeed = std::string(ACLC_SOURCE_DIR) + "/examples/seed-mesh/";
const std::string kOwner = "petie@petieclark.com";

// Assertions the seed policy satisfies and the deployed change keeps.
constexpr const char* kAssertions = R"({
  "assertions": [
    {"src": "tag:mobile", "accept": ["overseer:3000"]},
    {"src": "tag:mobile", "deny": ["ctmprod:22"]},
    {"src": "tag:mobile", "deny": ["*:22"]},
    {"src": "ctmprod", "accept": ["overseer:5432", "overseer:6379"]},
    {"dst": "overseer:22", "only": ["group:admin"]}
  ]
}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  if (at == std::string::npos) throw Error("the seed policy no longer contains: " + from);
  return text.replace(at, from.size(), to);
}

// The most recent "installed bundle serial N" in a meshd log; 0 if none.
unsigned long installed_serial(const std::string& log_path) {
  static const std::regex re("installed bundle serial ([0-9]+)");
  std::ifstream in(log_path);
  std::string line;
  unsigned long serial = 0;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) serial = std::stoul(m[1]);
  return serial;
}

std::string tail(const std::string& path, size_t lines = 30) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "    " + all[i] + "\n";
  return out;
}

template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

// A field of a flat JSON object, for the few values read back.
std::string field(const std::string& json, const std::string& name, size_t from = 0) {
  std::string k = "\"" + name + "\":\"";
  size_t at = json.find(k, from);
  if (at == std::string::npos) return "";
  at += k.size();
  return json.substr(at, json.find('"', at) - at);
}

// aclc serve in the namespace every daemon runs in, with its HTTP API
// reached from there too.
class ControlServer {
 public:
  ControlServer(const std::string& dir, const Netns& ns) : dir_(dir), ns_(ns) {
    must(quote(ACLC_BIN) + " keygen --out " + quote(sign_key()));
    std::string out = must(quote(ACLC_BIN) + " serve --state " + quote(state()) +
                           " --create-api-key admin@example.com");
    size_t at = out.find("aclc-api-");
    if (at == std::string::npos) throw Error("no API key in: " + out);
    api_key = out.substr(at, out.find_first_of(" \n", at) - at);
  }
  std::string sign_key() const { return dir_ + "/sign.key"; }
  std::string state() const { return dir_ + "/state"; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }

  void start() {
    std::string log = dir_ + "/serve.log";
    std::filesystem::remove(log);
    SpawnOptions o;
    o.netns = &ns_;
    o.output_path = log;
    // Port 0 the first time; the same port after a restart, as nodes know it.
    process_ = Process::spawn({ACLC_BIN, "serve", "--state", state(), "--sign-key", sign_key(), "--listen",
                               "127.0.0.1:" + std::to_string(port), "--threads", "16"},
                              o);
    const std::string marker = "listening on http://127.0.0.1:";
    bool up = wait_until(
        [&] {
          std::string text = read_file_or_empty(log);
          size_t at = text.find(marker);
          if (at == std::string::npos || text.find('\n', at) == std::string::npos) return false;
          port = std::stoi(text.substr(at + marker.size()));
          return true;
        },
        20s);
    if (!up) throw Error("aclc serve did not start:\n" + tail(log));
  }
  int stop() { return process_.stop(); }

  // An HTTP exchange with the server from inside its namespace.
  httplib::Result request(const std::string& method, const std::string& path, const std::string& key,
                          const std::string& body = "") {
    InNetns in(ns_);
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    c.set_bearer_token_auth(key);
    if (method == "POST") return c.Post(path, body, "application/json");
    if (method == "DELETE") return c.Delete(path);
    return c.Get(path);
  }
  std::string auth_key(const std::string& tags_json, const std::string& user) {
    auto r = request("POST", "/api/v2/tailnet/-/keys", api_key,
                     R"({"capabilities":{"devices":{"create":{"reusable":true,"tags":)" + tags_json +
                         R"(}}},"user":")" + user + "\"}");
    if (!r || r->status != 200) throw Error("creating a pre-auth key failed: " + (r ? r->body : "no answer"));
    return field(r->body, "key");
  }
  // The registered device's id and first address.
  std::pair<std::string, std::string> device(const std::string& hostname) {
    auto r = request("GET", "/api/v2/tailnet/-/devices", api_key);
    if (!r || r->status != 200) throw Error("listing devices failed");
    size_t at = r->body.find("\"hostname\":\"" + hostname + "\"");
    if (at == std::string::npos) return {"", ""};
    size_t start = r->body.rfind('{', at);
    return {field(r->body, "id", start), first_address(r->body, start)};
  }

  std::string api_key;
  int port = 0;

 private:
  static std::string read_file_or_empty(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static std::string first_address(const std::string& body, size_t from) {
    size_t at = body.find("\"addresses\":[\"", from);
    if (at == std::string::npos) return "";
    at += 14;
    return body.substr(at, body.find('"', at) - at);
  }
  std::string dir_;
  const Netns& ns_;
  Process process_;
};

struct MeshNode {
  std::string name, iface, address, id, state_dir, log;
  uint16_t port = 0;
  KeyPair keys;
  std::unique_ptr<Netns> ns;
  Process daemon;
  std::string public_key() const { return base64(keys.public_key); }
  bool has_peer(const std::string& key) const {
    for (const auto& p : wg_show(iface).peers)
      if (p.public_key == key) return true;
    return false;
  }
};

// A meshd node: keys and state under `dir`, the daemon in `udp` (where
// every UDP socket and the servers live) with `fetch_args` (--control …).
std::unique_ptr<MeshNode> start_node(const std::string& dir, const Netns& udp, const std::string& name,
                                     size_t index, const std::string& control_pub,
                                     const std::vector<std::string>& fetch_args) {
  auto n = std::make_unique<MeshNode>();
  n->name = name;
  n->iface = "mt" + std::to_string(getpid()) + "g" + char('a' + index);
  n->port = uint16_t(52000 + index);
  n->keys = KeyPair::generate();
  n->ns = std::make_unique<Netns>("g-" + name);
  n->state_dir = dir + "/" + name + ".state";
  n->log = dir + "/" + name + ".log";
  write_file(dir + "/" + name + ".wgkey", base64(n->keys.private_key) + "\n", 0600);
  std::vector<std::string> argv = {MESHD_BIN,       "--foreground", n->iface, "--private-key",
                                   dir + "/" + name + ".wgkey", "--control-key", control_pub,
                                   "--listen-port", std::to_string(n->port), "--no-addresses",
                                   "--state-dir",   n->state_dir};
  argv.insert(argv.end(), fetch_args.begin(), fetch_args.end());
  SpawnOptions o;
  o.netns = &udp;
  o.output_path = n->log;
  n->daemon = Process::spawn(argv, o);
  return n;
}

// Moves the node's TUN from `udp` into its own namespace with its address
// and the mesh route (the harness's layout, tests/mesh/mesh.h).
void attach_tun(MeshNode& n, const Netns& udp) {
  must("ip -n " + quote(udp.name()) + " link set " + n.iface + " netns " + quote(n.ns->name()));
  std::string ip = "ip -n " + quote(n.ns->name()) + " ";
  must(ip + "addr add " + n.address + "/32 dev " + n.iface);
  must(ip + "link set " + n.iface + " up");
  must(ip + "route add 100.64.0.0/10 dev " + n.iface);
}

bool uapi_up(const MeshNode& n) { return uapi_listening(n.iface); }

struct Repo {
  std::string path;
  CommandResult sh(const std::string& command) const {
    return run("cd " + quote(path) + " && " + command + " 2>&1", nullptr, Millis(120000));
  }
};

// A fresh directory under /tmp, removed at the end unless MESH_KEEP is set.
struct ScratchDir {
  explicit ScratchDir(std::string pattern) : path(std::move(pattern)) { REQUIRE(mkdtemp(path.data())); }
  ~ScratchDir() {
    if (!std::getenv("MESH_KEEP")) run("rm -rf " + quote(path));
  }
  std::string path;
};

}  // namespace

TEST_CASE("gitops end to end: hook, check --base, deploy to aclc serve, meshd nodes enforce within 5 s") {
  require_host({"ip", "wg", "git"});
  const std::string aclc = ACLC_BIN;
  ScratchDir scratch("/tmp/aclc-gitops-XXXXXX");
  const std::string dir = scratch.path;

  // 1. The repository: the seed policy, its device list, assertions; the hook.
  Repo repo{dir + "/repo"};
  must("mkdir -p " + quote(repo.path));
  const std::string seed_policy = read_file(kSeed + "policy.hujson");
  write_file(repo.path + "/policy.hujson", seed_policy);
  write_file(repo.path + "/devices.json", read_file(kSeed + "devices.json"));
  write_file(repo.path + "/assertions.hujson", kAssertions);
  REQUIRE(repo.sh("git init -q -b main && git config user.email ci@example.com && git config user.name CI")
              .status == 0);
  CommandResult hook = repo.sh(quote(aclc) + " hook install --nodes devices.json --assert assertions.hujson");
  REQUIRE_MESSAGE(hook.status == 0, hook.output);
  CommandResult first = repo.sh("git add . && git commit -q -m 'seed policy'");
  REQUIRE_MESSAGE(first.status == 0, "the seed policy must pass the hook: " << first.output);

  // 2. The control server and the devices of the example.
  Netns udp("g-udp");
  ControlServer control(dir, udp);
  control.start();
  std::string mobile_key = control.auth_key(R"(["tag:mobile"])", kOwner);
  std::string owner_key = control.auth_key("[]", kOwner);
  // The devices that stay off the wire are registered by hand (the policy
  // names macstudio; the assertions name the rest).
  for (auto [name, key] : {std::pair{"papayabox", owner_key}, {"macstudio", owner_key}, {"ipad", mobile_key},
                           {"pixel", mobile_key}}) {
    KeyPair k = KeyPair::generate();
    auto r = control.request("POST", "/api/v2/machine/register", key,
                             std::string(R"({"hostname":")") + name + R"(","wireguardPublicKey":")" +
                                 base64(k.public_key) + R"(","endpoints":[]})");
    REQUIRE(r);
    REQUIRE_MESSAGE(r->status == 200, r->body);
  }

  // 3. Three meshd nodes fetch their bundles from the server.
  std::string control_pub = control.sign_key() + ".pub";
  std::vector<std::unique_ptr<MeshNode>> nodes;
  const std::vector<std::pair<std::string, std::string>> on_wire = {
      {"iphone", mobile_key}, {"overseer", owner_key}, {"ctmprod", owner_key}};
  for (size_t i = 0; i < on_wire.size(); ++i) {
    const std::string& name = on_wire[i].first;
    write_file(dir + "/" + name + ".authkey", on_wire[i].second + "\n", 0600);
    nodes.push_back(start_node(dir, udp, name, i, control_pub,
                               {"--control", control.url(), "--auth-key-file", dir + "/" + name + ".authkey",
                                "--hostname", name, "--endpoint", "127.0.0.1:" + std::to_string(52000 + i)}));
  }
  auto node = [&](const std::string& name) -> MeshNode& {
    for (auto& n : nodes)
      if (n->name == name) return *n;
    throw Error("no node " + name);
  };
  auto logs = [&] {
    std::string out = "  aclc serve:\n" + tail(dir + "/serve.log", 15);
    for (auto& n : nodes) out += "  " + n->name + ":\n" + tail(n->log, 15);
    return out;
  };
  for (auto& n : nodes) {
    // Registered (node key kept), UAPI up, then the TUN moves to its namespace.
    bool up = wait_until(
        [&] { return access((n->state_dir + "/node.key").c_str(), F_OK) == 0 && uapi_up(*n); }, 20s);
    REQUIRE_MESSAGE(up, n->name << " did not register and come up:\n" << logs());
    std::tie(n->id, n->address) = control.device(n->name);
    REQUIRE_MESSAGE(!n->address.empty(), n->name << " is not in the registry");
    attach_tun(*n, udp);
  }
  // The node key is the node's secret.
  for (auto& n : nodes) {
    struct stat st {};
    REQUIRE(stat((n->state_dir + "/node.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }

  // Deploys through the CI script; returns when the policy is accepted and
  // checks that every node installs a newer bundle within 5 s of that.
  auto deploy_and_wait = [&](const std::string& what) {
    std::map<std::string, unsigned long> before;
    for (auto& n : nodes) before[n->name] = installed_serial(n->log);
    // Plain text output and no base revision whatever CI this runs under.
    CommandResult d = run("cd " + quote(repo.path) + " && GITHUB_ACTIONS= GITHUB_BASE_REF= ACLC_BASE= " +
                              "CI_MERGE_REQUEST_DIFF_BASE_SHA= ACLC=" + quote(aclc) + " ACLC_API=" +
                              quote(control.url()) + " ACLC_NODES=devices.json ACLC_ASSERT=assertions.hujson " +
                              "TS_API_KEY=" + quote(control.api_key) + " sh " +
                              quote(std::string(ACLC_SOURCE_DIR) + "/ci/aclc-ci.sh") + " deploy 2>&1",
                          &udp, Millis(120000));
    REQUIRE_MESSAGE(d.status == 0, what << ": deploy failed:\n" << d.output);
    CHECK(d.output.find("deployed") != std::string::npos);
    auto deployed = Clock::now();
    bool all = wait_until(
        [&] {
          for (auto& n : nodes)
            if (installed_serial(n->log) <= before[n->name]) return false;
          return true;
        },
        5s);
    double seconds = std::chrono::duration<double>(Clock::now() - deployed).count();
    MESSAGE(what << ": every node installed the new bundle " << seconds << " s after the deploy");
    REQUIRE_MESSAGE(all, what << ": not every node installed the new bundle within 5 s:\n" << logs());
  };

  EchoServer overseer_services(*node("overseer").ns, {22, 443, 5432, 8080});
  const std::string overseer = node("overseer").address;
  // "443 open, 22 closed": TCP from a node to overseer's ports.
  auto reach = [&](const std::string& from, std::vector<uint16_t> ports) {
    std::vector<bool> open = tcp_reach(*node(from).ns, overseer, ports, 4000ms);
    std::string out;
    for (size_t i = 0; i < ports.size(); ++i)
      out += (i ? ", " : "") + std::to_string(ports[i]) + (open[i] ? " open" : " closed");
    return out;
  };

  // 4. The seed policy, deployed.
  deploy_and_wait("seed policy");
  // iphone -> overseer: 443 and 8080? 22?   ctmprod -> overseer: 22, 5432
  {
    std::string seen = reach("iphone", {443, 8080, 22});
    CHECK_MESSAGE(seen == "443 open, 8080 closed, 22 closed", logs());
  }
  {
    std::string seen = reach("ctmprod", {22, 5432});
    CHECK_MESSAGE(seen == "22 open, 5432 open", logs());
  }

  // 5. A commit that breaks an assertion: refused by the hook and by check --base.
  std::string head = repo.sh("git rev-parse HEAD").output;
  write_file(repo.path + "/policy.hujson",
             replace(seed_policy, "  \"acls\": [\n",
                     "  \"acls\": [\n    {\"action\": \"accept\", \"src\": [\"tag:mobile\"], \"dst\": [\"ctmprod:22\"]},\n"));
  CommandResult refused = repo.sh("git commit -q -am 'let the phone ssh into production'");
  CHECK_MESSAGE(refused.status != 0, refused.output);
  CHECK(repo.sh("git rev-parse HEAD").output == head);
  CommandResult base = repo.sh(quote(aclc) +
                               " check policy.hujson --nodes devices.json --assert assertions.hujson --base HEAD");
  CHECK_MESSAGE(base.status == 1, base.output);
  CHECK(base.output.find("ctmprod:22") != std::string::npos);
  REQUIRE(repo.sh("git checkout -q -- policy.hujson").status == 0);

  // 6. A good commit: passes the hook, deployed, enforced within 5 s.
  std::string changed = replace(seed_policy, R"("group:admin": ["petie@petieclark.com", "macstudio"])",
                                R"("group:admin": ["macstudio"])");
  changed = replace(changed, R"("dst": ["*:80", "*:443", "*:3000"]},)",
                    R"("dst": ["*:80", "*:443", "*:3000"]},
    {"action": "accept", "src": ["tag:mobile"], "dst": ["overseer:8080"]},)");
  write_file(repo.path + "/policy.hujson", changed);
  CommandResult good = repo.sh("git commit -q -am 'admins by device; phones reach the dashboard on 8080'");
  REQUIRE_MESSAGE(good.status == 0, good.output);
  deploy_and_wait("the change");
  {
    std::string seen = reach("iphone", {443, 8080, 22});
    CHECK_MESSAGE(seen == "443 open, 8080 open, 22 closed", logs());
  }
  {
    std::string seen = reach("ctmprod", {22, 5432});
    CHECK_MESSAGE(seen == "22 closed, 5432 open", logs());
  }

  // 7. A revoked device is dropped by its peers within one poll.
  MeshNode& iphone = node("iphone");
  REQUIRE(node("overseer").has_peer(iphone.public_key()));
  auto revoked = control.request("DELETE", "/api/v2/device/" + iphone.id, control.api_key);
  REQUIRE(revoked);
  REQUIRE_MESSAGE(revoked->status == 200, revoked->body);
  auto t0 = Clock::now();
  bool dropped = wait_until(
      [&] { return !node("overseer").has_peer(iphone.public_key()) && !node("ctmprod").has_peer(iphone.public_key()); },
      5s);
  REQUIRE_MESSAGE(dropped, "peers still list the revoked iphone:\n" << logs());
  MESSAGE("the revoked device was dropped by its peers after "
          << std::chrono::duration<double>(Clock::now() - t0).count() << " s");
  std::string revoked_reach = reach("iphone", {443});
  CHECK(revoked_reach == "443 closed");

  // 8. The server stopped: the nodes keep enforcing the last good bundle.
  auto count_in_overseer_log = [&](const std::string& text) {
    std::string log = read_file(node("overseer").log);
    size_t count = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
    return count;
  };
  size_t retries = count_in_overseer_log("retrying in"), recoveries = count_in_overseer_log("works again");
  control.stop();
  CHECK(wait_until([&] { return count_in_overseer_log("retrying in") > retries; }, 5s));
  for (auto& n : nodes) CHECK_MESSAGE(n->daemon.running(), n->name << " exited:\n" << logs());
  {
    std::string seen = reach("ctmprod", {22, 5432});
    CHECK_MESSAGE(seen == "22 closed, 5432 open", logs());
  }
  // Once the server is back a SIGHUP fetches at once (a parked long-poll
  // would otherwise report only when it ends): same bundle, unchanged.
  control.start();
  size_t unchanged = count_in_overseer_log("unchanged");
  kill(node("overseer").daemon.pid(), SIGHUP);
  CHECK_MESSAGE(wait_until([&] { return count_in_overseer_log("works again") > recoveries; }, 5s), logs());
  CHECK(wait_until([&] { return count_in_overseer_log("unchanged") > unchanged; }, 5s));
  // The revoked node was told so, and kept running.
  CHECK(read_file(iphone.log).find("HTTP 401") != std::string::npos);

  for (auto& n : nodes) CHECK(n->daemon.stop() == 0);
}

TEST_CASE("static hosting: meshd nodes fetch their bundles from a plain directory served by nginx") {
  require_host({"ip", "wg", "nginx"});
  ScratchDir scratch("/tmp/aclc-static-XXXXXX");
  const std::string dir = scratch.path;
  // nginx's workers run as nobody when started by root: the tree must be readable.
  must("chmod 0755 " + quote(dir) + " && mkdir -p " + quote(dir + "/www/bundles") + " " + quote(dir + "/nginx"));

  Netns udp("s-udp");
  BundleKit kit(ACLC_BIN, dir);
  const std::string control_pub = kit.control_public_key();
  // The nodes first (their keys go into the device list), fetching from
  // URLs that serve nothing yet: they start fail closed and retry.
  const uint16_t http_port = 18000 + uint16_t(getpid() % 1000);
  const std::string base = "http://127.0.0.1:" + std::to_string(http_port) + "/bundles/";
  std::vector<std::unique_ptr<MeshNode>> nodes;
  const std::vector<std::string> names = {"alpha", "beta"};
  for (size_t i = 0; i < names.size(); ++i) {
    nodes.push_back(start_node(dir, udp, names[i], i, control_pub,
                               {"--control", base + names[i] + ".bundle", "--poll-interval", "1"}));
    nodes.back()->address = "100.64.0." + std::to_string(i + 1);
  }
  MeshNode& alpha = *nodes[0];
  MeshNode& beta = *nodes[1];
  auto logs = [&] {
    std::string out = "  nginx:\n" + tail(dir + "/nginx/error.log", 10);
    for (auto& n : nodes) out += "  " + n->name + ":\n" + tail(n->log, 15);
    return out;
  };
  for (auto& n : nodes) {
    REQUIRE_MESSAGE(wait_until([&] { return uapi_up(*n); }, 10s), n->name << " did not come up:\n" << logs());
    attach_tun(*n, udp);
  }

  std::vector<DeviceEntry> devices;
  for (auto& n : nodes)
    devices.push_back({n->name, {n->address}, "", {"tag:" + n->name}, n->public_key(),
                       "127.0.0.1:" + std::to_string(n->port)});
  write_file(dir + "/devices.json", devices_json(devices));
  // Puts `bytes` where nginx serves `name` as an operator would: written
  // next to the served file, then renamed over it. nginx's ETag is the
  // file's mtime in whole seconds and its size, so a same-size file written
  // within the second of the one it replaces (a tampered copy, say) would
  // be answered 304 for ever: each version gets an mtime past the last.
  auto last_served = std::filesystem::file_time_type::min();
  auto serve_file = [&](const std::string& name, const std::string& bytes) {
    const std::string tmp = dir + "/www/bundles/." + name + ".tmp";
    write_file(tmp, bytes, 0644);
    last_served = std::max(std::filesystem::last_write_time(tmp), last_served + std::chrono::seconds(1));
    std::filesystem::last_write_time(tmp, last_served);
    must("mv " + quote(tmp) + " " + quote(dir + "/www/bundles/" + name));
  };
  // Compiles `policy` under `serial` and publishes each node's bundle.
  auto publish = [&](const std::string& policy, unsigned long serial) {
    write_file(dir + "/policy.hujson", policy);
    std::string out = kit.compile(dir + "/policy.hujson", dir + "/devices.json", serial);
    for (auto& n : nodes) serve_file(n->name + ".bundle", read_file(out + "/" + n->name + ".bundle"));
  };
  const std::string owners = R"("tagOwners": {"tag:alpha": ["ops@example.com"], "tag:beta": ["ops@example.com"]})";
  publish("{" + owners + R"(, "acls": [{"action": "accept", "src": ["tag:alpha"], "dst": ["tag:beta:443"]}]})",
          2000);

  // nginx with its own prefix, configuration, pid file and logs.
  write_file(dir + "/nginx/nginx.conf",
             "daemon off;\nworker_processes 1;\npid " + dir + "/nginx/nginx.pid;\nerror_log " + dir +
                 "/nginx/error.log;\nuser nobody nogroup;\nevents { worker_connections 64; }\nhttp {\n  access_log " +
                 dir + "/nginx/access.log;\n  client_body_temp_path " + dir + "/nginx/body;\n  server {\n    listen 127.0.0.1:" +
                 std::to_string(http_port) + ";\n    location /bundles/ { root " + dir +
                 "/www; default_type application/octet-stream; add_header Cache-Control no-cache; }\n  }\n}\n");
  SpawnOptions o;
  o.netns = &udp;
  o.output_path = dir + "/nginx/stdout.log";
  Process nginx = Process::spawn({"nginx", "-p", dir + "/nginx", "-c", dir + "/nginx/nginx.conf", "-e",
                                  dir + "/nginx/error.log"},
                                 o);

  REQUIRE_MESSAGE(wait_until([&] { return run("ip netns exec " + quote(udp.name()) + " bash -c 'exec 3<>/dev/tcp/127.0.0.1/" +
                                             std::to_string(http_port) + "' 2>/dev/null").status == 0; }, 10s),
                  "nginx did not come up:\n" << logs());
  // The nodes have been backing off while nothing was served: SIGHUP
  // makes them fetch now.
  for (auto& n : nodes) kill(n->daemon.pid(), SIGHUP);
  auto serial_of = [](const MeshNode& n) { return installed_serial(n.log); };
  REQUIRE_MESSAGE(wait_until([&] { return serial_of(alpha) == 2000 && serial_of(beta) == 2000; }, 5s), logs());
  EchoServer services(*beta.ns, {22, 443});
  auto reach = [&](std::vector<uint16_t> ports) {
    std::vector<bool> open = tcp_reach(*alpha.ns, beta.address, ports, 4000ms);
    std::string out;
    for (size_t i = 0; i < ports.size(); ++i)
      out += (i ? ", " : "") + std::to_string(ports[i]) + (open[i] ? " open" : " closed");
    return out;
  };
  {
    std::string seen = reach({443, 22});
    CHECK_MESSAGE(seen == "443 open, 22 closed", logs());
  }
  // Unchanged files cost a 304.
  CHECK(read_file(dir + "/nginx/access.log").find("\" 304 ") != std::string::npos);

  // A new policy, published: picked up within the poll interval.
  publish("{" + owners + R"(, "acls": [{"action": "accept", "src": ["tag:alpha"], "dst": ["tag:beta:22,443"]}]})",
          2001);
  REQUIRE_MESSAGE(wait_until([&] { return serial_of(alpha) == 2001 && serial_of(beta) == 2001; }, 5s), logs());
  {
    std::string seen = reach({443, 22});
    CHECK_MESSAGE(seen == "443 open, 22 open", logs());
  }

  // A tampered bundle and an older one on the server: rejected, the last
  // good one stays in force.
  std::string good = read_file(dir + "/www/bundles/beta.bundle");
  std::string tampered = good;
  tampered[tampered.size() / 2] ^= 0x01;
  serve_file("beta.bundle", tampered);
  CHECK_MESSAGE(wait_until([&] { return read_file(beta.log).find("rejected bundle") != std::string::npos; }, 5s),
                logs());
  std::string older = read_file(dir + "/bundles-2000/beta.bundle");
  serve_file("beta.bundle", older);
  CHECK_MESSAGE(wait_until([&] { return read_file(beta.log).find("rollback") != std::string::npos; }, 5s), logs());
  CHECK(serial_of(beta) == 2001);
  {
    std::string seen = reach({443, 22});
    CHECK_MESSAGE(seen == "443 open, 22 open", logs());
  }
  CHECK(nginx.stop() == 0);
  for (auto& n : nodes) CHECK(n->daemon.stop() == 0);
}
