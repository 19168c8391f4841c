// Deploy -> every node updated, for many polling nodes (issue 6 §3).
//
// Simulated nodes make the requests meshd --control makes (one libcurl
// multi handle drives them all from one thread):
//   aclc serve: GET /api/v2/node/bundle?wait=60 with If-None-Match, parked
//     until the bundle changes (long-poll); the N pollers share D
//     registered devices (registering N devices would measure N bundle
//     compilations, not the fan-out);
//   nginx: GET of a static .bundle file with If-None-Match every
//     --interval ms (ETag polling), as for bundles served from a plain
//     directory or an object store.
// Timed: from the moment the new policy is POSTed (aclc serve) or the new
// file is renamed into place (nginx) to the moment the last poller holds
// the new ETag. Prints the figures; not part of ctest.
//
//   cmake --build build --target aclc aclc-bench-control-poll
//   build/bench/aclc-bench-control-poll [--nodes 1000] [--devices 10] [--interval 1000]
#include <curl/curl.h>
#include <signal.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::vector<pid_t> children;  // stopped by die(), so nothing outlives the bench

[[noreturn]] void die(const std::string& m) {
  std::fprintf(stderr, "bench_control_poll: %s\n", m.c_str());
  for (pid_t pid : children) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  std::exit(1);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sh(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) die("popen");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) die(cmd + " failed:\n" + out);
  return out;
}

std::string field(const std::string& json, const std::string& name) {
  std::string k = "\"" + name + "\":\"";
  size_t at = json.find(k);
  if (at == std::string::npos) return "";
  at += k.size();
  return json.substr(at, json.find('"', at) - at);
}

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // dies with the bench, however it ends
    FILE* f = std::fopen(log.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  children.push_back(pid);
  return pid;
}

void stop_child(pid_t pid) {
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  children.erase(std::remove(children.begin(), children.end(), pid), children.end());
}

// One blocking request (setup only).
struct Reply {
  long status = 0;
  std::string body;
};
size_t append(char* d, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(d, s * n);
  return s * n;
}
Reply request(const std::string& method, const std::string& url, const std::string& key,
              const std::string& body = "", const std::string& content_type = "application/json") {
  CURL* e = curl_easy_init();
  Reply r;
  curl_slist* h = nullptr;
  h = curl_slist_append(h, ("Authorization: Bearer " + key).c_str());
  h = curl_slist_append(h, ("Content-Type: " + content_type).c_str());
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
  if (method == "POST") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, long(body.size()));
  }
  if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(e);
  return r;
}

// N simulated nodes, each a long-poll or a periodic ETag poll.
struct Poller {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string url, key, etag, header_etag, old_etag;
  Clock::time_point next{};  // when to ask again (polling)
  Clock::time_point updated{};
  bool active = false, done = false;
};

size_t discard(char*, size_t s, size_t n, void*) { return s * n; }
size_t on_header(char* d, size_t s, size_t n, void* u) {
  std::string line(d, s * n);
  if (line.size() > 5 && strncasecmp(line.c_str(), "etag:", 5) == 0) {
    std::string v = line.substr(5);
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of("\r\n ") + 1);
    static_cast<Poller*>(u)->header_etag = v;
  }
  return s * n;
}

class Fleet {
 public:
  Fleet(size_t n, std::vector<std::string> urls, std::vector<std::string> keys, int64_t interval_ms)
      : polls_(n), interval_ms_(interval_ms) {
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, long(n + 16));
    for (size_t i = 0; i < n; ++i) {
      Poller& p = polls_[i];
      p.url = urls[i % urls.size()];
      p.key = keys.empty() ? "" : keys[i % keys.size()];
      p.easy = curl_easy_init();
    }
  }
  ~Fleet() {
    for (auto& p : polls_) {
      if (p.active) curl_multi_remove_handle(multi_, p.easy);
      curl_easy_cleanup(p.easy);
      curl_slist_free_all(p.headers);
    }
    curl_multi_cleanup(multi_);
  }

  // Runs until every poller holds an ETag other than the one it held at
  // the call, or `deadline`.
  bool run_until_all_updated(Clock::time_point deadline) {
    for (auto& p : polls_) {
      p.old_etag = p.etag;
      p.done = false;
    }
    counting_ = true;
    for (;;) {
      size_t done = 0;
      for (auto& p : polls_) done += p.done;
      if (done == polls_.size()) return true;
      if (Clock::now() > deadline) return false;
      turn();
    }
  }
  // Starts every poller with no ETag and returns once all hold one.
  // Nodes arrive over time, not all in one instant (cpp-httplib as Debian
  // builds it listens with a backlog of 5): 2 ms apart.
  bool prime(Clock::time_point deadline) {
    auto now = Clock::now();
    for (size_t i = 0; i < polls_.size(); ++i) polls_[i].next = now + std::chrono::milliseconds(2 * int64_t(i));
    for (;;) {
      size_t have = 0;
      for (auto& p : polls_) have += !p.etag.empty();
      if (have == polls_.size()) return true;
      if (Clock::now() > deadline) return false;
      turn();
    }
  }
  // Polling nodes are not in step: spread their next polls evenly over one
  // interval, as independent nodes would be.
  void spread() {
    auto now = Clock::now();
    for (size_t i = 0; i < polls_.size(); ++i)
      if (!polls_[i].active)
        polls_[i].next = now + std::chrono::milliseconds(interval_ms_ * int64_t(i) / int64_t(polls_.size()));
  }
  void spin_for(std::chrono::milliseconds d) {
    auto end = Clock::now() + d;
    while (Clock::now() < end) turn();
  }
  std::vector<double> update_times(Clock::time_point t0) const {
    std::vector<double> out;
    for (const auto& p : polls_) out.push_back(std::chrono::duration<double>(p.updated - t0).count());
    std::sort(out.begin(), out.end());
    return out;
  }
  size_t requests() const { return requests_; }
  size_t errors() const { return errors_; }

 private:
  void start(Poller& p) {
    curl_easy_reset(p.easy);
    curl_slist_free_all(p.headers);
    p.headers = nullptr;
    if (!p.key.empty()) p.headers = curl_slist_append(p.headers, ("Authorization: Bearer " + p.key).c_str());
    if (!p.etag.empty()) p.headers = curl_slist_append(p.headers, ("If-None-Match: " + p.etag).c_str());
    curl_easy_setopt(p.easy, CURLOPT_URL, p.url.c_str());
    curl_easy_setopt(p.easy, CURLOPT_HTTPHEADER, p.headers);
    curl_easy_setopt(p.easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(p.easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(p.easy, CURLOPT_HEADERDATA, &p);
    curl_easy_setopt(p.easy, CURLOPT_TIMEOUT, 90L);
    curl_easy_setopt(p.easy, CURLOPT_PRIVATE, &p);
    p.header_etag.clear();
    curl_multi_add_handle(multi_, p.easy);
    p.active = true;
    ++requests_;
  }
  void turn() {
    auto now = Clock::now();
    for (auto& p : polls_)
      if (!p.active && now >= p.next) start(p);
    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &queued)) {
      if (m->msg != CURLMSG_DONE) continue;
      Poller* p = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&p));
      long status = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      curl_multi_remove_handle(multi_, p->easy);
      p->active = false;
      auto t = Clock::now();
      if (m->data.result != CURLE_OK || (status != 200 && status != 304)) {
        ++errors_;
        p->next = t + 200ms;
        continue;
      }
      if (status == 200 && !p->header_etag.empty()) {
        p->etag = p->header_etag;
        if (counting_ && !p->done && p->etag != p->old_etag) {
          p->done = true;
          p->updated = t;
        }
      }
      p->next = t + std::chrono::milliseconds(interval_ms_);
    }
    curl_multi_poll(multi_, nullptr, 0, 5, nullptr);
  }

  CURLM* multi_;
  std::vector<Poller> polls_;
  int64_t interval_ms_;
  bool counting_ = false;
  size_t requests_ = 0, errors_ = 0;
};

void report(const char* what, const std::vector<double>& t, double extra_label_seconds, const char* extra_label) {
  auto at = [&](double q) { return t[std::min(t.size() - 1, size_t(q * double(t.size())))]; };
  std::printf("%-34s first %7.3f s   p50 %7.3f s   p99 %7.3f s   last %7.3f s   (%s %.3f s)\n", what, t.front(),
              at(0.5), at(0.99), t.back(), extra_label, extra_label_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  size_t nodes = 1000, devices = 10;
  int64_t interval_ms = 1000;
  std::string aclc = ACLC_BIN;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) die(a + " needs a value");
      return std::string(argv[++i]);
    };
    if (a == "--nodes") nodes = std::stoul(value());
    else if (a == "--devices") devices = std::stoul(value());
    else if (a == "--interval") interval_ms = std::stol(value());
    else if (a == "--aclc") aclc = value();
    else die("usage: aclc-bench-control-poll [--nodes N] [--devices D] [--interval MS] [--aclc PATH]");
  }
  if (nodes == 0 || devices == 0 || devices > nodes) die("want 0 < devices <= nodes");
  // Two sockets per node (ours and the server's) plus slack.
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < nodes * 2 + 256) die("RLIMIT_NOFILE " + std::to_string(rl.rlim_cur) + " is too low for --nodes");
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  char tmpl[] = "/tmp/aclc-bench-poll-XXXXXX";
  if (!mkdtemp(tmpl)) die("mkdtemp");
  const std::string dir = tmpl;
  std::printf("deploy -> all nodes updated: %zu polling nodes (%zu devices registered on aclc serve)\n", nodes,
              devices);

  // --- aclc serve, long-poll ---
  sh(aclc + " keygen --out " + dir + "/sign.key");
  std::string out = sh(aclc + " serve --state " + dir + "/state --create-api-key bench@example.com");
  std::string api = out.substr(out.find("aclc-api-"));
  api = api.substr(0, api.find_first_of(" \n"));
  uint16_t port = free_port();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  pid_t serve = spawn({aclc, "serve", "--state", dir + "/state", "--sign-key", dir + "/sign.key", "--listen",
                       "127.0.0.1:" + std::to_string(port), "--threads", std::to_string(std::min<size_t>(4096, nodes + 64))},
                      dir + "/serve.log");
  for (int i = 0; i < 200 && slurp(dir + "/serve.log").find("listening") == std::string::npos; ++i)
    std::this_thread::sleep_for(50ms);
  Reply k = request("POST", base + "/api/v2/tailnet/-/keys", api,
                    R"({"capabilities":{"devices":{"create":{"reusable":true,"tags":["tag:node"]}}}})");
  if (k.status != 200) die("pre-auth key: " + k.body + "\n" + slurp(dir + "/serve.log"));
  std::string auth = field(k.body, "key");
  const char* policy_a = R"({"tagOwners": {"tag:node": ["bench@example.com"]},
  "acls": [{"action": "accept", "src": ["tag:node"], "dst": ["tag:node:443"]}]})";
  const char* policy_b = R"({"tagOwners": {"tag:node": ["bench@example.com"]},
  "acls": [{"action": "accept", "src": ["tag:node"], "dst": ["tag:node:443,8443"]}]})";
  Reply p = request("POST", base + "/api/v2/tailnet/-/acl", api, policy_a, "application/hujson");
  if (p.status != 200) die("deploy: " + p.body);
  std::vector<std::string> node_keys;
  for (size_t d = 0; d < devices; ++d) {
    // A fixed, distinct, valid-looking WireGuard key per device.
    unsigned char raw[32] = {};
    raw[0] = static_cast<unsigned char>(d);
    raw[1] = static_cast<unsigned char>(d >> 8);
    raw[31] = 0x40;
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string wg;
    for (int i = 0; i < 30; i += 3) {
      unsigned v = (raw[i] << 16) | (raw[i + 1] << 8) | raw[i + 2];
      for (int s = 18; s >= 0; s -= 6) wg += b64[(v >> s) & 63];
    }
    unsigned v = (raw[30] << 16) | (raw[31] << 8);
    wg += b64[(v >> 18) & 63];
    wg += b64[(v >> 12) & 63];
    wg += b64[(v >> 6) & 60];
    wg += '=';
    Reply r = request("POST", base + "/api/v2/machine/register", auth,
                      "{\"hostname\":\"node-" + std::to_string(d) + "\",\"wireguardPublicKey\":\"" + wg +
                          "\",\"endpoints\":[\"127.0.0.1:" + std::to_string(40000 + d) + "\"]}");
    if (r.status != 200) die("register: " + r.body);
    node_keys.push_back(field(r.body, "nodeKey"));
  }
  {
    Fleet fleet(nodes, {base + "/api/v2/node/bundle?wait=60"}, node_keys, 0);
    if (!fleet.prime(Clock::now() + 60s))
      die("the long-poll fleet did not get its first bundles (" + std::to_string(fleet.errors()) + " errors)");
    fleet.spin_for(1500ms);  // every poller parked with If-None-Match
    // The deploy runs on its own thread so the fleet keeps reading while
    // the server compiles, signs and wakes the polls.
    auto t0 = Clock::now();
    Reply d;
    double deploy_s = 0;
    std::thread deployer([&] {
      d = request("POST", base + "/api/v2/tailnet/-/acl", api, policy_b, "application/hujson");
      deploy_s = std::chrono::duration<double>(Clock::now() - t0).count();
    });
    size_t before = fleet.requests();
    bool ok = fleet.run_until_all_updated(Clock::now() + 60s);
    deployer.join();
    if (d.status != 200) die("deploy: " + d.body);
    if (!ok) std::printf("  (not every poller was updated within 60 s)\n");
    auto times = fleet.update_times(t0);
    report("aclc serve long-poll (wait=60):", times, deploy_s, "the deploy request took");
    std::printf("%-34s %zu requests after the deploy, %zu errors\n", "", fleet.requests() - before, fleet.errors());
  }
  stop_child(serve);

  // --- nginx, ETag polling of a plain directory ---
  if (access("/usr/sbin/nginx", X_OK) != 0) {
    std::printf("nginx: not installed (scripts/setup.sh), skipped\n");
    return 0;
  }
  std::filesystem::create_directories(dir + "/www/bundles");
  std::filesystem::permissions(dir, std::filesystem::perms(0755));
  for (size_t d = 0; d < devices; ++d)
    std::ofstream(dir + "/www/bundles/node-" + std::to_string(d) + ".bundle") << std::string(4096, 'a');
  uint16_t nport = free_port();
  std::ofstream(dir + "/nginx.conf") << "daemon off;\nworker_processes 2;\npid " << dir << "/nginx.pid;\n"
                                     << (geteuid() == 0 ? "user nobody nogroup;\n" : "")
                                     << "worker_rlimit_nofile " << nodes * 2 + 256 << ";\n"
                                     << "error_log " << dir << "/nginx.error.log;\n"
                                     << "events { worker_connections " << nodes * 2 + 64 << "; }\n"
                                     << "http { access_log off; keepalive_requests 100000; keepalive_timeout 120s;\n"
                                     << "  server { listen 127.0.0.1:" << nport << "; root " << dir << "/www; } }\n";
  pid_t nginx = spawn({"/usr/sbin/nginx", "-p", dir, "-c", dir + "/nginx.conf", "-e", dir + "/nginx.error.log"},
                      dir + "/nginx.log");
  std::this_thread::sleep_for(500ms);
  std::vector<std::string> urls;
  for (size_t d = 0; d < devices; ++d)
    urls.push_back("http://127.0.0.1:" + std::to_string(nport) + "/bundles/node-" + std::to_string(d) + ".bundle");
  {
    Fleet fleet(nodes, urls, {}, interval_ms);
    if (!fleet.prime(Clock::now() + 30s)) die("the polling fleet got no first answer:\n" + slurp(dir + "/nginx.error.log"));
    fleet.spread();
    fleet.spin_for(std::chrono::milliseconds(interval_ms * 2));
    size_t before = fleet.requests();
    auto settle = Clock::now();
    fleet.spin_for(std::chrono::milliseconds(interval_ms * 2));
    double rps = double(fleet.requests() - before) / std::chrono::duration<double>(Clock::now() - settle).count();
    // Publish: every device's file replaced by rename, as a deploy would.
    auto t0 = Clock::now();
    for (size_t d = 0; d < devices; ++d) {
      std::string f = dir + "/www/bundles/node-" + std::to_string(d) + ".bundle";
      std::ofstream(f + ".tmp") << std::string(4097, 'b');
      std::filesystem::rename(f + ".tmp", f);
    }
    double publish_s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!fleet.run_until_all_updated(Clock::now() + 60s)) std::printf("  (not every poller was updated within 60 s)\n");
    auto times = fleet.update_times(t0);
    char label[64];
    std::snprintf(label, sizeof label, "nginx ETag poll (every %lld ms):", static_cast<long long>(interval_ms));
    report(label, times, publish_s, "publishing took");
    std::printf("%-34s %.0f requests/s while idle, %zu errors\n", "", rps, fleet.errors());
  }
  stop_child(nginx);
  std::filesystem::remove_all(dir);
  return 0;
}
