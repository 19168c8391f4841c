// meshd's bundle fetching (runtime/meshd/control_client.h) without root:
// the fetch thread in this process against an in-process control server
// that speaks aclc serve's node protocol (registration with a pre-auth key,
// long-poll with ETag/If-None-Match, 401 for a revoked key), against no
// server at all (backoff, then recovery), and against nginx serving a plain
// directory of bundles (static hosting: ETag polling). Also the store's
// side: a fetched bundle passes the same checks as a bundle file.
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "runtime/meshd/bundle_store.h"
#include "runtime/meshd/control_client.h"
#include "runtime/meshd/node_registration.h"
#include "runtime/meshd/options.h"
#include "tests/runtime/meshd_test_util.h"

using namespace aclc;
using namespace aclc::meshd;
using namespace aclc::meshd::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kAuthKey = "aclc-auth-0123456789abcdef-feedface";
constexpr const char* kNodeKey = "aclc-node-0123456789abcdef-cafef00d";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A loopback TCP port held for a server that starts later: bound with
// SO_REUSEADDR and SO_REUSEPORT and never listening, so connecting is
// refused (a server that is down) and no other socket is given the port
// meanwhile, while a server that sets either option (httplib sets
// SO_REUSEPORT, nginx SO_REUSEADDR) can bind and listen on it. Closing a
// probe socket instead would leave the port free for anyone.
class ReservedPort {
 public:
  ReservedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    int one = 1;
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~ReservedPort() { ::close(fd_); }
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Whether `pred` holds within `timeout`, checked every 10 ms.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// The next bundle the client hands over within `timeout`, or nullopt.
std::optional<FetchedBundle> next_bundle(ControlClient& c, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{c.notify_fd(), POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) == 1)
      if (auto b = c.take()) return b;
  }
}

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

// aclc serve's node endpoints, in process: one device, one bundle.
class FakeControl {
 public:
  explicit FakeControl(uint16_t port = 0) {
    server_.Post("/api/v2/machine/register", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++registrations;
      register_body = req.body;
      if (req.get_header_value("Authorization") != std::string("Bearer ") + kAuthKey) {
        res.status = 401;
        res.set_content("{\"message\":\"invalid credentials\"}", "application/json");
        return;
      }
      res.set_content(std::string("{\"id\":\"1\",\"hostname\":\"web-1\",\"nodeKey\":\"") + kNodeKey + "\"}",
                      "application/json");
    });
    server_.Get("/api/v2/node/bundle", [this](const httplib::Request& req, httplib::Response& res) {
      std::unique_lock<std::mutex> lock(mu_);
      ++fetches;
      last_if_none_match = req.get_header_value("If-None-Match");
      if (revoked || req.get_header_value("Authorization") != std::string("Bearer ") + kNodeKey) {
        res.status = 401;
        res.set_content("{\"message\":\"invalid credentials: unknown or revoked key\"}", "application/json");
        return;
      }
      unsigned wait = req.has_param("wait") ? unsigned(std::stoul(req.get_param_value("wait"))) : 0;
      auto etag = [this] { return "\"v" + std::to_string(version_) + "\""; };
      if (last_if_none_match == etag() && wait > 0)
        changed_.wait_for(lock, std::chrono::seconds(wait), [&] { return last_if_none_match != etag() || stopping_; });
      // Revoked while waiting: the key is dead now (as aclc serve answers).
      if (revoked) {
        res.status = 401;
        res.set_content("{\"message\":\"invalid credentials: unknown or revoked key\"}", "application/json");
        return;
      }
      res.set_header("ETag", etag());
      if (last_if_none_match == etag()) {
        res.status = 304;
        return;
      }
      res.set_content(bundle_, "application/octet-stream");
    });
    int bound = port ? (server_.bind_to_port("127.0.0.1", port) ? port : -1) : server_.bind_to_any_port("127.0.0.1");
    REQUIRE(bound > 0);
    port_ = uint16_t(bound);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib's stop() does nothing until the accept loop runs: without
    // this a test that ends early would hang in the destructor's join.
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeControl() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    changed_.notify_all();
    server_.stop();
    thread_.join();
  }
  void publish(const std::string& bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      bundle_ = bytes;
      ++version_;
    }
    changed_.notify_all();
  }
  void revoke() {
    std::lock_guard<std::mutex> lock(mu_);
    revoked = true;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  template <typename T>
  T read(const T& field) {
    std::lock_guard<std::mutex> lock(mu_);
    return field;
  }

  int registrations = 0, fetches = 0;
  bool revoked = false;
  std::string register_body, last_if_none_match;

 private:
  httplib::Server server_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::string bundle_;
  int version_ = 0;
  bool stopping_ = false;
  uint16_t port_ = 0;
};

ControlSettings server_settings(const std::string& url, const TempDir& dir) {
  ControlSettings s;
  std::string error;
  auto u = parse_control_url(url, error);
  REQUIRE_MESSAGE(u, error);
  s.url = *u;
  s.state_dir = dir.path();
  s.auth_key_path = dir.file("auth.key");
  std::ofstream(s.auth_key_path) << kAuthKey << "\n";
  s.registration = {"web-1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", {"192.0.2.7:51820"}};
  s.long_poll_seconds = 30;
  s.retry_initial_ms = 100;
  s.retry_max_ms = 400;
  return s;
}

}  // namespace

TEST_CASE("control URL: a .bundle path is a static file, anything else aclc serve; bad URLs refused") {
  std::string error;
  auto s = parse_control_url("https://control.example.com:8443/", error);
  REQUIRE(s);
  CHECK(s->kind == ControlUrl::Kind::kServer);
  CHECK(s->bundle_url(30) == "https://control.example.com:8443/api/v2/node/bundle?wait=30");
  CHECK(s->register_url() == "https://control.example.com:8443/api/v2/machine/register");
  auto f = parse_control_url("http://cdn.example.com/bundles/web-1.bundle?v=1", error);
  REQUIRE(f);
  CHECK(f->kind == ControlUrl::Kind::kStaticBundle);
  for (const char* bad : {"ftp://x/y.bundle", "control.example.com", "http://", "http://u:p@host/",
                          "http://host/?q=1", "http://host/a b.bundle", "file:///etc/x.bundle"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_control_url(bad, error));
    CHECK(error.find("--control") != std::string::npos);
  }
}

TEST_CASE("registration: request body, answer parsing, key files") {
  std::string body = registration_body({"web-1", "KEY=", {"1.2.3.4:51820", "[::1]:1"}});
  CHECK(body == R"({"hostname":"web-1","wireguardPublicKey":"KEY=","endpoints":["1.2.3.4:51820","[::1]:1"]})");
  std::string error;
  auto a = parse_registration_answer(R"({"hostname":"web-1","nodeKey":"aclc-node-1","controlPublicKey":"x"})", error);
  REQUIRE(a);
  CHECK(a->node_key == "aclc-node-1");
  CHECK_FALSE(parse_registration_answer(R"({"nodeKey":"has space"})", error));
  CHECK_FALSE(parse_registration_answer(R"({"nodeKey":7})", error));
  CHECK_FALSE(parse_registration_answer("not json", error));
  CHECK(server_message(R"({"message":"hostname taken"})") == "hostname taken");

  TempDir dir;
  std::ofstream(dir.file("k")) << "\n  aclc-auth-xyz  \n";
  auto k = read_key_file(dir.file("k"), error);
  REQUIRE(k);
  CHECK(*k == "aclc-auth-xyz");
  std::ofstream(dir.file("empty")) << "   \n";
  CHECK_FALSE(read_key_file(dir.file("empty"), error));
  CHECK_FALSE(read_key_file(dir.file("missing"), error));
  REQUIRE(save_node_key(dir.path(), "aclc-node-abc", error));
  struct stat st{};
  REQUIRE(::stat(node_key_path(dir.path()).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(slurp(node_key_path(dir.path())) == "aclc-node-abc\n");
}

TEST_CASE("backoff: doubles up to the maximum with jitter in [d/2, d], reset starts over") {
  uint64_t pick = 0;
  Backoff b(100, 1000, [&](uint64_t n) { return std::min(pick, n - 1); });
  CHECK(b.next_ms() == 50);
  CHECK(b.next_ms() == 100);
  pick = 1'000'000;  // the top of each range
  CHECK(b.next_ms() == 400);
  CHECK(b.next_ms() == 800);
  CHECK(b.next_ms() == 1000);
  CHECK(b.next_ms() == 1000);
  b.reset();
  CHECK(b.next_ms() == 100);
}

TEST_CASE("control client: registers once, keeps the node key 0600, long-polls with If-None-Match") {
  TempDir dir;
  FakeControl server;
  server.publish("bundle-1");
  ControlSettings s = server_settings(server.url(), dir);
  {
    std::string error;
    auto c = ControlClient::start(s, error);
    REQUIRE_MESSAGE(c, error);
    auto first = next_bundle(*c, 5s);
    REQUIRE(first);
    CHECK(first->bytes == bytes_of("bundle-1"));
    CHECK(first->source.find("ETag \"v1\"") != std::string::npos);
    CHECK(server.read(server.registrations) == 1);
    std::string reg = server.read(server.register_body);
    CHECK(reg.find("\"hostname\":\"web-1\"") != std::string::npos);
    CHECK(reg.find("\"endpoints\":[\"192.0.2.7:51820\"]") != std::string::npos);
    struct stat st{};
    REQUIRE(::stat(node_key_path(dir.path()).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(slurp(node_key_path(dir.path())) == std::string(kNodeKey) + "\n");

    // A deploy while the client is parked in its long-poll arrives at once.
    // The server records If-None-Match and parks under one lock hold, so
    // once it reads "v1" the next poll is parked.
    REQUIRE(eventually([&] { return server.read(server.last_if_none_match) == "\"v1\""; }, 5s));
    auto t0 = std::chrono::steady_clock::now();
    server.publish("bundle-2");
    auto second = next_bundle(*c, 3s);
    REQUIRE(second);
    CHECK(second->bytes == bytes_of("bundle-2"));
    CHECK(std::chrono::steady_clock::now() - t0 < 1s);
    CHECK(c->failures() == 0);

    // Stopping does not wait for the 30-second poll in progress.
    REQUIRE(eventually([&] { return server.read(server.last_if_none_match) == "\"v2\""; }, 5s));
    t0 = std::chrono::steady_clock::now();
    c.reset();
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
  // Restarted: the kept node key is used, no second registration; the
  // auth key may be gone by now.
  ::unlink(s.auth_key_path.c_str());
  std::string error;
  auto c = ControlClient::start(s, error);
  REQUIRE(c);
  auto again = next_bundle(*c, 5s);
  REQUIRE(again);
  CHECK(again->bytes == bytes_of("bundle-2"));
  CHECK(server.read(server.registrations) == 1);

  // Revoked: 401, retried, nothing handed over.
  server.revoke();
  server.publish("bundle-3");
  CHECK_FALSE(next_bundle(*c, 1500ms));
  CHECK(c->failures() >= 1);
}

TEST_CASE("control client: a wrong pre-auth key is refused and retried; nothing is handed over") {
  TempDir dir;
  FakeControl server;
  server.publish("bundle-1");
  ControlSettings s = server_settings(server.url(), dir);
  std::ofstream(s.auth_key_path) << "aclc-auth-wrong\n";
  std::string error;
  auto c = ControlClient::start(s, error);
  REQUIRE(c);
  CHECK_FALSE(next_bundle(*c, 1000ms));
  CHECK(server.read(server.registrations) >= 2);  // retried at the (test's) maximum backoff
  CHECK(::access(node_key_path(dir.path()).c_str(), F_OK) != 0);
}

TEST_CASE("control client: server down -> retries with backoff, then fetches once it is back") {
  TempDir dir;
  ReservedPort reserved;
  const uint16_t port = reserved.port();
  ControlSettings s = server_settings("http://127.0.0.1:" + std::to_string(port), dir);
  std::string error;
  auto c = ControlClient::start(s, error);
  REQUIRE(c);
  CHECK_FALSE(next_bundle(*c, 800ms));
  uint64_t failed = c->failures();
  CHECK(failed >= 2);   // 50..100 ms, then 100..200 ms, …
  CHECK(failed <= 12);  // backing off, not spinning
  FakeControl server(port);
  server.publish("bundle-1");
  auto b = next_bundle(*c, 3s);
  REQUIRE(b);
  CHECK(b->bytes == bytes_of("bundle-1"));
}

TEST_CASE("a fetched bundle passes the store's checks: a tampered or older one is rejected, the last good stays") {
  TempDir dir;
  auto key = bundle::SigningKey::generate();
  uint64_t now = 1'700'000'000;
  BundleStore::Settings settings;
  settings.control_key = key.public_key();
  settings.device_name = "node1";  // no bundle file: bundles only come fetched
  BundleStore store(settings, StateDir(dir.file("state")), [&] { return now; });
  std::string error;
  REQUIRE(store.open(error));
  BundleLoad start = store.load_at_start();
  CHECK(start.result == BundleLoad::Result::kRejected);
  CHECK(start.message.find("fail closed") != std::string::npos);
  CHECK_FALSE(store.current());

  auto good = seal_or_die(sample_bundle("node1", 10, now), key);
  CHECK(store.offer(good, "http://c/").result == BundleLoad::Result::kInstalled);
  CHECK(store.offer(good, "http://c/").result == BundleLoad::Result::kUnchanged);
  auto tampered = seal_or_die(sample_bundle("node1", 11, now), key);
  tampered[tampered.size() / 2] ^= 1;
  BundleLoad t = store.offer(tampered, "http://c/");
  CHECK(t.result == BundleLoad::Result::kRejected);
  CHECK(t.message.find("keeping serial 10 in force") != std::string::npos);
  BundleLoad older = store.offer(seal_or_die(sample_bundle("node1", 9, now), key), "http://c/");
  CHECK(older.result == BundleLoad::Result::kRejected);
  CHECK(older.message.find("rollback") != std::string::npos);
  BundleLoad other = store.offer(seal_or_die(sample_bundle("node2", 12, now), key), "http://c/");
  CHECK(other.result == BundleLoad::Result::kRejected);
  REQUIRE(store.current());
  CHECK(store.current()->serial == 10);

  // After a restart the last accepted bundle is back in force.
  BundleStore again(settings, StateDir(dir.file("state")), [&] { return now; });
  REQUIRE(again.open(error));
  CHECK(again.load_at_start().result == BundleLoad::Result::kInstalled);
  REQUIRE(again.current());
  CHECK(again.current()->serial == 10);
}

TEST_CASE("static hosting: nginx serves a directory of bundles; the client polls it with If-None-Match") {
  REQUIRE_MESSAGE(::access("/usr/sbin/nginx", X_OK) == 0, "nginx is not installed: run scripts/setup.sh");
  TempDir dir;
  // nginx's own prefix, config and pid file: nothing of the system's.
  std::filesystem::create_directories(dir.file("www/bundles"));
  std::filesystem::create_directories(dir.file("logs"));
  ::chmod(dir.path().c_str(), 0755);  // workers may run as nobody when we are root
  std::ofstream(dir.file("www/bundles/web-1.bundle")) << "bundle-1";
  ReservedPort reserved;
  const uint16_t port = reserved.port();
  std::ofstream(dir.file("nginx.conf"))
      << "daemon off;\nmaster_process on;\nworker_processes 1;\npid " << dir.file("nginx.pid")
      << ";\nerror_log " << dir.file("logs/error.log") << ";\n"
      << (::geteuid() == 0 ? "user nobody nogroup;\n" : "")
      << "events { worker_connections 64; }\n"
      << "http {\n  access_log " << dir.file("logs/access.log") << ";\n"
      << "  client_body_temp_path " << dir.file("tmp") << ";\n"
      << "  server {\n    listen 127.0.0.1:" << port << ";\n    root " << dir.file("www") << ";\n  }\n}\n";
  pid_t nginx = ::fork();
  REQUIRE(nginx >= 0);
  if (nginx == 0) {
    ::execl("/usr/sbin/nginx", "nginx", "-p", dir.path().c_str(), "-c", dir.file("nginx.conf").c_str(),
            "-e", dir.file("logs/error.log").c_str(), nullptr);
    _exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{nginx};
  httplib::Client probe("127.0.0.1", port);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    auto r = probe.Get("/bundles/web-1.bundle");
    up = r && r->status == 200;
    if (!up) std::this_thread::sleep_for(50ms);
  }
  REQUIRE_MESSAGE(up, "nginx did not come up: " << slurp(dir.file("logs/error.log")));

  ControlSettings s;
  std::string error;
  auto u = parse_control_url("http://127.0.0.1:" + std::to_string(port) + "/bundles/web-1.bundle", error);
  REQUIRE(u);
  s.url = *u;
  s.state_dir = dir.path();
  s.poll_interval_ms = 200;
  s.retry_initial_ms = 100;
  s.retry_max_ms = 400;
  auto c = ControlClient::start(s, error);
  REQUIRE(c);
  auto first = next_bundle(*c, 3s);
  REQUIRE(first);
  CHECK(first->bytes == bytes_of("bundle-1"));
  // Unchanged: nginx answers 304 to the client's If-None-Match.
  CHECK_FALSE(next_bundle(*c, 1000ms));
  std::string log = slurp(dir.file("logs/access.log"));
  CHECK(log.find("\" 304 ") != std::string::npos);
  // Published as an operator would: write next to it, then rename.
  std::ofstream(dir.file("www/bundles/.web-1.tmp")) << "bundle-2, longer";
  std::filesystem::rename(dir.file("www/bundles/.web-1.tmp"), dir.file("www/bundles/web-1.bundle"));
  auto second = next_bundle(*c, 3s);
  REQUIRE(second);
  CHECK(second->bytes == bytes_of("bundle-2, longer"));
  // Gone: 404 is retried, the client keeps going.
  std::filesystem::remove(dir.file("www/bundles/web-1.bundle"));
  CHECK_FALSE(next_bundle(*c, 800ms));
  CHECK(c->failures() >= 1);
}

TEST_CASE("meshd options: --control instead of --bundle, and the fetching options") {
  const std::vector<std::string> base = {"mesh0", "--private-key", "/k", "--control-key", "/c.pub"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return parse_options(args);
  };
  ParseResult ok = with({"--control", "https://control.example.com:8443", "--auth-key-file", "/a",
                         "--hostname", "web-1", "--endpoint", "198.51.100.7:51820", "--endpoint",
                         "[2001:db8::7]:51820", "--control-ca", "/ca.pem"});
  REQUIRE(ok.action == ParseResult::Action::kRun);
  CHECK(ok.options.control_url == "https://control.example.com:8443");
  CHECK(ok.options.bundle_path.empty());
  CHECK(ok.options.auth_key_path == "/a");
  CHECK(ok.options.hostname == "web-1");
  CHECK(ok.options.endpoints == std::vector<std::string>{"198.51.100.7:51820", "[2001:db8::7]:51820"});
  CHECK(ok.options.control_ca == "/ca.pem");
  ParseResult polled = with({"--control=http://cdn/b/web-1.bundle", "--poll-interval", "5"});
  REQUIRE(polled.action == ParseResult::Action::kRun);
  CHECK(polled.options.poll_interval_s == 5u);

  const std::vector<std::pair<std::vector<std::string>, std::string>> bad = {
      {{"--control", "http://c", "--bundle", "/b"}, "exclude each other"},
      {{}, "missing --bundle"},
      {{"--bundle", "/b", "--auth-key-file", "/a"}, "need --control"},
      {{"--control", "ftp://c"}, "only http and https"},
      {{"--control", "http://user:pw@c"}, "credentials"},
      {{"--control", "http://c", "--endpoint", "nohost"}, "expected HOST:PORT"},
      {{"--control", "http://c", "--endpoint", "h:0"}, "expected HOST:PORT"},
      {{"--control", "http://c", "--poll-interval", "0"}, "--poll-interval"},
  };
  for (const auto& [extra, message] : bad) {
    ParseResult r = with(extra);
    CAPTURE(message);
    CHECK(r.action == ParseResult::Action::kUsageError);
    CHECK(r.error.find(message) != std::string::npos);
  }
  CHECK(usage_text().find("--control URL") != std::string::npos);
}
