// The real `wg` tool (wireguard-tools) against meshd's UAPI server: the
// server runs in a thread of this process, over a fake ConfigTarget, at
// /var/run/wireguard/aclcuPID.sock, where `wg` looks for userspace
// interfaces. Checks that `wg show dump`, `wg set` (keys from files,
// listen port, peer with allowed IPs, endpoint, keepalive, PSK), peer
// removal, `wg showconf` and an errno from the target all work exactly as
// against wireguard-go. Needs root (the socket directory); CTest label
// "kernel".
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/uapi/endpoint_text.h"
#include "runtime/uapi/server.h"
#include "tests/runtime/uapi_fake_target.h"

using namespace aclc::runtime;
using aclc::runtime::testing::FakeTarget;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace wg = aclc::wg;
namespace uapi = aclc::runtime::uapi;

namespace {

struct Run {
  int status = -1;  // exit status, or -1 if killed / timed out
  std::string out, err;
};

// Runs argv with a 10 s limit, capturing stdout and stderr.
Run run(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  Run r;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  bool out_open = true, err_open = true;
  while ((out_open || err_open) && std::chrono::steady_clock::now() < deadline) {
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    ::poll(fds, 2, 100);
    char buf[4096];
    for (int k = 0; k < 2; ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n > 0) (k == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      else (k == 0 ? out_open : err_open) = false;
    }
  }
  if (out_open || err_open) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  r.status = WIFEXITED(status) && !(out_open || err_open) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string base64(const Key32& key) {
  char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(text, sizeof text, key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  return text;
}

Key32 filled(uint8_t seed) {
  Key32 k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 7);
  return k;
}

Key32 public_of(const Key32& private_key) {
  Key32 pub;
  REQUIRE(crypto_scalarmult_base(pub.data(), private_key.data()) == 0);
  return pub;
}

wg::Secret<32> secret(const Key32& k) {
  wg::Secret<32> s;
  s.bytes = k;
  return s;
}

AllowedIp prefix(const char* text) { return *uapi::parse_allowed_ip(text); }

// Runs the server's event loop in a thread, as meshd's epoll loop would.
class ServerThread {
 public:
  ServerThread(FakeTarget& target, const std::string& iface) {
    uapi::ServerOptions options;
    options.interface = iface;  // default directory: /var/run/wireguard
    int error = 0;
    std::string message;
    server_ = uapi::Server::open(options, target, &error, &message);
    REQUIRE_MESSAGE(server_, message);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{server_->fd(), POLLIN, 0};
        ::poll(&p, 1, 20);
        server_->process(std::chrono::steady_clock::now().time_since_epoch());
      }
    });
  }
  ~ServerThread() { shut_down(); }
  const std::string& path() const { return server_->path(); }
  void shut_down() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

 private:
  std::unique_ptr<uapi::Server> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& content) {
    char tmpl[] = "/tmp/aclc-uapi-key-XXXXXX";
    const int fd = ::mkstemp(tmpl);  // 0600
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, content.data(), content.size()) == ssize_t(content.size()));
    ::close(fd);
    path = tmpl;
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

}  // namespace

TEST_CASE("uapi: the real wg tool shows, sets and dumps through meshd's UAPI socket") {
  REQUIRE_MESSAGE(::geteuid() == 0, "needs root: the socket lives in /var/run/wireguard");
  REQUIRE(sodium_init() >= 0);
  const std::string iface = "aclcu" + std::to_string(::getpid() % 10000000);

  const Key32 device_key = filled(1), peer_a = public_of(filled(2));
  FakeTarget target;
  DeviceStatus initial;
  initial.private_key = secret(device_key);
  initial.listen_port = 51820;
  PeerStatus& a = initial.peers.emplace_back();
  a.public_key = peer_a;
  a.endpoint = uapi::parse_endpoint("[fd00::1]:51820");
  a.allowed_ips = {prefix("10.0.0.1/32"), prefix("fd00::1/128")};
  a.last_handshake_sec = 1700000000;
  a.rx_bytes = 1234;
  a.tx_bytes = 5678;
  target.set_state(initial);

  ServerThread server(target, iface);
  const std::string socket_path = server.path();
  CHECK(socket_path == "/var/run/wireguard/" + iface + ".sock");

  // wg show IFACE dump: tab-separated, the device line then one per peer.
  Run r = run({"wg", "show", iface, "dump"});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(r.out == base64(device_key) + "\t" + base64(public_of(device_key)) + "\t51820\toff\n" +
                     base64(peer_a) + "\t(none)\t[fd00::1]:51820\t10.0.0.1/32,fd00::1/128\t1700000000\t1234\t5678\toff\n");

  r = run({"wg", "show", "interfaces"});
  CHECK(r.status == 0);
  CHECK(r.out.find(iface) != std::string::npos);

  // wg set with keys from files, a new peer with everything.
  const Key32 new_key = filled(3), peer_b = public_of(filled(4)), psk = filled(5);
  const TempFile key_file(base64(new_key) + "\n"), psk_file(base64(psk) + "\n");
  r = run({"wg", "set", iface, "private-key", key_file.path, "listen-port", "51999", "peer", base64(peer_b),
           "allowed-ips", "10.9.0.0/24,fd00:9::/64", "endpoint", "127.0.0.1:4242", "persistent-keepalive",
           "25", "preshared-key", psk_file.path});
  CHECK_MESSAGE(r.status == 0, r.err);
  auto received = target.received();
  REQUIRE(received.size() == 1);
  const DeviceConfig& set = received[0];
  REQUIRE(set.private_key);
  CHECK(set.private_key->bytes == new_key);
  CHECK(set.listen_port == 51999);
  CHECK_FALSE(set.fwmark);
  CHECK_FALSE(set.replace_peers);
  REQUIRE(set.peers.size() == 1);
  const PeerConfig& b = set.peers[0];
  CHECK(b.public_key == peer_b);
  CHECK_FALSE(b.remove);
  CHECK_FALSE(b.update_only);
  REQUIRE(b.preshared_key);
  CHECK(b.preshared_key->bytes == psk);
  CHECK(b.endpoint == uapi::parse_endpoint("127.0.0.1:4242"));
  CHECK(b.persistent_keepalive == 25);
  CHECK(b.replace_allowed_ips);  // `allowed-ips` replaces the peer's list
  CHECK(b.add_allowed_ips == std::vector<AllowedIp>{prefix("10.9.0.0/24"), prefix("fd00:9::/64")});
  CHECK(b.remove_allowed_ips.empty());

  // Peer removal.
  r = run({"wg", "set", iface, "peer", base64(peer_a), "remove"});
  CHECK_MESSAGE(r.status == 0, r.err);
  received = target.received();
  REQUIRE(received.size() == 2);
  REQUIRE(received[1].peers.size() == 1);
  CHECK(received[1].peers[0].public_key == peer_a);
  CHECK(received[1].peers[0].remove);
  CHECK_FALSE(received[1].private_key);
  CHECK_FALSE(received[1].listen_port);

  // wg showconf: what the target now holds, in wg-quick's format.
  r = run({"wg", "showconf", iface});
  CHECK_MESSAGE(r.status == 0, r.err);
  CHECK(r.out ==
        "[Interface]\n"
        "ListenPort = 51999\n"
        "PrivateKey = " + base64(new_key) + "\n"
        "\n"
        "[Peer]\n"
        "PublicKey = " + base64(peer_b) + "\n"
        "PresharedKey = " + base64(psk) + "\n"
        "AllowedIPs = 10.9.0.0/24, fd00:9::/64\n"
        "Endpoint = 127.0.0.1:4242\n"
        "PersistentKeepalive = 25\n");

  // The target's errno reaches the user.
  target.set_busy_port(53);
  r = run({"wg", "set", iface, "listen-port", "53"});
  CHECK(r.status != 0);
  CHECK_MESSAGE(r.err.find("Address already in use") != std::string::npos, r.err);

  // Shutdown removes the socket; wg no longer finds the interface.
  server.shut_down();
  CHECK_FALSE(fs::exists(fs::symlink_status(socket_path)));
  r = run({"wg", "show", iface});
  CHECK(r.status != 0);
}
