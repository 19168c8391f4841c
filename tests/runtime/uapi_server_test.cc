// The UAPI socket server (runtime/uapi/server.h) over real UNIX sockets in
// a temporary directory (no root needed): the socket file's life cycle
// (creation, modes, stale and live predecessors, removal), several
// operations per connection, limits, idle timeouts, and replies to a
// client that reads slowly, all driven as the daemon drives it: process()
// when fd() is readable, never blocking.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/uapi/endpoint_text.h"
#include "runtime/uapi/server.h"
#include "tests/runtime/uapi_fake_target.h"

using namespace aclc::runtime;
using namespace aclc::runtime::uapi;
using aclc::runtime::testing::FakeTarget;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace wg = aclc::wg;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/aclc-uapi-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::unique_ptr<Server> open_server(FakeTarget& target, const fs::path& dir, std::string iface = "wgtest0",
                                    size_t max_connections = 32) {
  ServerOptions options;
  options.interface = std::move(iface);
  options.directory = dir.string();
  options.idle_timeout = 10s;
  options.max_connections = max_connections;
  int error = 0;
  std::string message;
  auto server = Server::open(std::move(options), target, &error, &message);
  REQUIRE_MESSAGE(server, message);
  return server;
}

int open_error(FakeTarget& target, const fs::path& dir, const std::string& iface, std::string* message = nullptr) {
  ServerOptions options;
  options.interface = iface;
  options.directory = dir.string();
  int error = 0;
  std::string text;
  auto server = Server::open(std::move(options), target, &error, &text);
  CHECK(server == nullptr);
  if (message) *message = text;
  return error;
}

sockaddr_un address_of(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

// A client end, non-blocking so that the test (which is also the server's
// event loop) never waits on it.
int connect_client(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const sockaddr_un a = address_of(path);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

void send_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    REQUIRE(n > 0);
    text.remove_prefix(static_cast<size_t>(n));
  }
}

wg::Instant t(int seconds) { return wg::Instant(std::chrono::seconds(seconds)); }

// Runs the server and reads from the client until `count` replies ended by
// "errno=N\n\n" have arrived or the peer closed; bounded by wall time.
struct Read {
  std::string text;
  bool closed = false;
};
Read pump_until_replies(Server& server, int fd, int count, wg::Instant now = t(1)) {
  Read r;
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < give_up) {
    server.process(now);
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) {
      r.closed = true;
      return r;
    }
    if (n > 0) r.text.append(buf, static_cast<size_t>(n));
    int replies = 0;
    for (size_t at = 0; (at = r.text.find("errno=", at)) != std::string::npos; ++at)
      if (r.text.find("\n\n", at) != std::string::npos) ++replies;
    if (replies >= count) return r;
    if (n < 0) {
      pollfd p{server.fd(), POLLIN, 0};
      ::poll(&p, 1, 5);
    }
  }
  FAIL("no reply within 5 s; have: " << r.text);
  return r;
}

bool peer_closed(Server& server, int fd, wg::Instant now) {
  server.process(now);
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) == 0;
}

}  // namespace

TEST_CASE("uapi server: socket file, modes, and several operations per connection") {
  TempDir dir;
  const fs::path run = dir.path / "run" / "wireguard";  // created, 0755
  FakeTarget target;
  auto server = open_server(target, run);
  CHECK(server->path() == (run / "wgtest0.sock").string());
  struct stat st;
  REQUIRE(::stat(run.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  REQUIRE(::lstat(server->path().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0700);  // bound under umask 077: owner only

  // fd() is what the daemon polls: readable once a client connects.
  pollfd idle{server->fd(), POLLIN, 0};
  CHECK(::poll(&idle, 1, 0) == 0);
  const int client = connect_client(server->path());
  pollfd ready{server->fd(), POLLIN, 0};
  CHECK(::poll(&ready, 1, 1000) == 1);

  send_all(client, "set=1\nlisten_port=51820\npublic_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\nallowed_ip=10.0.0.1/32\n\n");
  Read r = pump_until_replies(*server, client, 1);
  CHECK(r.text == "errno=0\n\n");
  send_all(client, "get=1\n\nset=1\nlisten_port=x\n\n");
  r = pump_until_replies(*server, client, 2);
  CHECK(r.text.find("listen_port=51820\n") == 0);
  CHECK(r.text.find("allowed_ip=10.0.0.1/32\nerrno=0\n\nerrno=-22\n\n") != std::string::npos);
  CHECK(server->connection_count() == 1);
  CHECK(server->next_deadline() == t(1) + 10s);
  ::close(client);
  for (int i = 0; i < 100 && server->connection_count() > 0; ++i) server->process(t(1));
  CHECK(server->connection_count() == 0);
  CHECK(server->next_deadline() == std::nullopt);

  const std::string path = server->path();
  server.reset();
  CHECK_FALSE(fs::exists(fs::symlink_status(path)));  // removed on shutdown
}

TEST_CASE("uapi server: a stale socket is replaced, a live one refuses, a file is kept") {
  TempDir dir;
  FakeTarget target;
  const std::string path = (dir.path / "wgtest0.sock").string();
  {
    // A daemon that died without cleaning up: the file stays, nobody listens.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    const sockaddr_un a = address_of(path);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    ::close(fd);
  }
  auto server = open_server(target, dir.path);
  // Bound under a private name and renamed into place: nothing else is left.
  size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    CHECK(entry.path().filename() == "wgtest0.sock");
    ++entries;
  }
  CHECK(entries == 1);

  std::string message;
  CHECK(open_error(target, dir.path, "wgtest0", &message) == -EADDRINUSE);
  CHECK(message.find(path) != std::string::npos);
  // The refused second server did not disturb the first.
  const int client = connect_client(path);
  send_all(client, "get=1\n\n");
  CHECK(pump_until_replies(*server, client, 1).text == "errno=0\n\n");
  ::close(client);

  const fs::path file = dir.path / "wgfile.sock";
  { std::ofstream(file) << "not a socket"; }
  CHECK(open_error(target, dir.path, "wgfile") == -EEXIST);
  CHECK(fs::exists(file));
  for (const auto& entry : fs::directory_iterator(dir.path))
    CHECK_MESSAGE(entry.path().filename().string()[0] != '.', entry.path());  // no staging name left
}

TEST_CASE("uapi server: bad interface names and directories") {
  TempDir dir;
  FakeTarget target;
  for (const char* bad : {"", "a/b", "0123456789abcdef", ".", "..", "a b", "a:b"})
    CHECK_MESSAGE(open_error(target, dir.path, bad) == -EINVAL, bad);
  CHECK(open_error(target, dir.path / std::string(120, 'd'), "wg0") == -ENAMETOOLONG);
  { std::ofstream(dir.path / "plain") << "x"; }
  CHECK(open_error(target, dir.path / "plain", "wg0") == -ENOTDIR);
  CHECK(open_error(target, dir.path / "plain" / "sub", "wg0") == -ENOTDIR);
}

TEST_CASE("uapi server: shutdown leaves a successor's socket alone") {
  TempDir dir;
  FakeTarget target;
  auto server = open_server(target, dir.path);
  const std::string path = server->path();
  REQUIRE(::unlink(path.c_str()) == 0);
  const int other = ::socket(AF_UNIX, SOCK_STREAM, 0);
  const sockaddr_un a = address_of(path);
  REQUIRE(::bind(other, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
  server.reset();
  CHECK(fs::exists(fs::symlink_status(path)));
  ::close(other);
}

TEST_CASE("uapi server: removing or replacing the socket file asks the daemon to stop") {
  TempDir dir;
  FakeTarget target;
  {
    auto server = open_server(target, dir.path);
    server->process(t(1));
    CHECK_FALSE(server->socket_removed());
    const int client = connect_client(server->path());  // using the socket changes nothing
    send_all(client, "get=1\n\n");
    CHECK(pump_until_replies(*server, client, 1).text == "errno=0\n\n");
    ::close(client);
    server->process(t(1));
    CHECK_FALSE(server->socket_removed());
    REQUIRE(::unlink(server->path().c_str()) == 0);
    pollfd ready{server->fd(), POLLIN, 0};
    CHECK(::poll(&ready, 1, 1000) == 1);  // the daemon's loop wakes up
    server->process(t(2));
    CHECK(server->socket_removed());
  }
  {
    auto server = open_server(target, dir.path);
    const std::string path = server->path();
    const std::string other = (dir.path / "other").string();
    { std::ofstream(other) << "x"; }
    REQUIRE(::rename(other.c_str(), path.c_str()) == 0);  // replaced
    pollfd ready{server->fd(), POLLIN, 0};
    CHECK(::poll(&ready, 1, 1000) == 1);
    server->process(t(2));
    CHECK(server->socket_removed());
    server.reset();
    CHECK(fs::exists(path));  // not ours: left alone
  }
}

TEST_CASE("uapi server: idle connections are closed") {
  TempDir dir;
  FakeTarget target;
  auto server = open_server(target, dir.path);
  const int client = connect_client(server->path());
  server->process(t(100));
  REQUIRE(server->connection_count() == 1);
  CHECK(server->next_deadline() == t(110));
  send_all(client, "set=1\nlisten_port=1\n");  // half a request: still idle if nothing follows
  server->process(t(105));
  CHECK(server->next_deadline() == t(115));  // activity moved the deadline
  CHECK_FALSE(peer_closed(*server, client, t(114)));
  CHECK(peer_closed(*server, client, t(115)));
  CHECK(server->connection_count() == 0);
  CHECK(target.received().empty());  // the unfinished set was dropped
  ::close(client);
}

TEST_CASE("uapi server: connections beyond the limit are closed at once") {
  TempDir dir;
  FakeTarget target;
  auto server = open_server(target, dir.path, "wgtest0", 2);
  const int a = connect_client(server->path());
  const int b = connect_client(server->path());
  server->process(t(1));
  const int c = connect_client(server->path());
  CHECK(peer_closed(*server, c, t(1)));
  CHECK(server->connection_count() == 2);
  send_all(a, "get=1\n\n");
  CHECK(pump_until_replies(*server, a, 1).text == "errno=0\n\n");
  send_all(b, "get=1\n\n");
  CHECK(pump_until_replies(*server, b, 1).text == "errno=0\n\n");
  for (int fd : {a, b, c}) ::close(fd);
}

TEST_CASE("uapi server: a client that reads slowly gets whole replies and blocks nobody") {
  TempDir dir;
  FakeTarget target;
  DeviceStatus big;
  for (int i = 0; i < 4000; ++i) {
    PeerStatus& p = big.peers.emplace_back();
    p.public_key[0] = static_cast<uint8_t>(i);
    p.public_key[1] = static_cast<uint8_t>(i >> 8);
    p.allowed_ips.push_back(*parse_allowed_ip("10.0.0.0/8"));
  }
  target.set_state(big);
  auto server = open_server(target, dir.path);
  const int slow = connect_client(server->path());
  send_all(slow, "get=1\n\nget=1\n\nget=1\n\n");  // ~5 MB of replies, unread for now
  for (int i = 0; i < 50; ++i) server->process(t(1));  // returns although the client reads nothing

  // Meanwhile another client is served.
  const int quick = connect_client(server->path());
  send_all(quick, "get=1\n\n");
  const Read q = pump_until_replies(*server, quick, 1);
  CHECK(q.text.size() > 1000000);

  const Read r = pump_until_replies(*server, slow, 3);
  CHECK_FALSE(r.closed);
  const std::string one = r.text.substr(0, r.text.find("errno=0\n\n") + 9);
  CHECK(one.size() > 1000000);
  CHECK(r.text == one + one + one);
  ::close(slow);
  ::close(quick);
}

TEST_CASE("uapi server: a client that hangs up mid-request changes nothing") {
  TempDir dir;
  FakeTarget target;
  auto server = open_server(target, dir.path);
  const int client = connect_client(server->path());
  send_all(client, "set=1\nlisten_port=9\nreplace_peers=true\n");
  ::close(client);
  for (int i = 0; i < 10; ++i) server->process(t(1));
  CHECK(server->connection_count() == 0);
  CHECK(target.received().empty());
}
