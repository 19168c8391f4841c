#include "tests/mesh/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "tests/mesh/error.h"
#include "tests/mesh/netns.h"

namespace mesh {
namespace {

sockaddr_in address(const std::string& ip, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) throw Error("not an IPv4 address: " + ip);
  return sa;
}

int left_ms(std::chrono::steady_clock::time_point end) {
  auto d = std::chrono::duration_cast<Millis>(end - std::chrono::steady_clock::now()).count();
  return d < 0 ? 0 : static_cast<int>(d);
}

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

}  // namespace

int ping(const Netns& from, const std::string& dst, int count, double interval_s) {
  char interval[32];
  std::snprintf(interval, sizeof interval, "%.3f", interval_s);
  CommandResult r = run("ping -n -q -c " + std::to_string(count) + " -i " + interval + " -W 1 " + quote(dst), &from,
                        Millis(static_cast<long>((count * interval_s + 3) * 1000)));
  std::smatch m;
  static const std::regex received(R"((\d+) received)");
  if (std::regex_search(r.output, m, received)) return std::stoi(m[1]);
  return 0;
}

EchoServer::EchoServer(const Netns& ns, const std::vector<uint16_t>& ports) : ports_(ports) {
  for (uint16_t port : ports) {
    for (int type : {SOCK_STREAM, SOCK_DGRAM}) {
      int s = socket_in(ns, AF_INET, type | SOCK_NONBLOCK);
      int one = 1;
      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in sa = address("0.0.0.0", port);
      if (bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || (type == SOCK_STREAM && listen(s, 128) != 0)) {
        close(s);
        throw_errno("echo server: port " + std::to_string(port) + " in " + ns.name());
      }
      (type == SOCK_STREAM ? tcp_ : udp_).push_back(s);
    }
  }
  if (pipe2(stop_, O_CLOEXEC) != 0) throw_errno("pipe");
  thread_ = std::thread([this] { serve(); });
}

EchoServer::~EchoServer() {
  (void)!write(stop_[1], "x", 1);
  thread_.join();
  for (int s : tcp_) close(s);
  for (int s : udp_) close(s);
  close(stop_[0]);
  close(stop_[1]);
}

size_t EchoServer::udp_seen(const std::string& payload) const {
  std::lock_guard lock(mu_);
  auto it = seen_.find(payload);
  return it == seen_.end() ? 0 : it->second;
}

size_t EchoServer::tcp_accepted(uint16_t port) const {
  std::lock_guard lock(mu_);
  auto it = accepted_.find(port);
  return it == accepted_.end() ? 0 : it->second;
}

void EchoServer::serve() {
  // fds: stop pipe, listeners, UDP sockets, then connections.
  enum Kind { kStop, kListen, kUdp, kConn };
  std::vector<pollfd> fds{{stop_[0], POLLIN, 0}};
  std::vector<Kind> kind{kStop};
  std::vector<uint16_t> port{0};
  for (size_t i = 0; i < tcp_.size(); ++i) {
    fds.push_back({tcp_[i], POLLIN, 0});
    kind.push_back(kListen);
    port.push_back(ports_[i]);
  }
  for (int s : udp_) {
    fds.push_back({s, POLLIN, 0});
    kind.push_back(kUdp);
    port.push_back(0);
  }
  std::vector<char> buf(65536);
  while (true) {
    if (poll(fds.data(), fds.size(), -1) < 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      if (kind[i] == kStop) {
        for (size_t j = 0; j < fds.size(); ++j)
          if (kind[j] == kConn) close(fds[j].fd);
        return;
      }
      if (kind[i] == kListen) {
        int c = accept4(fds[i].fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
          fds.push_back({c, POLLIN, 0});
          kind.push_back(kConn);
          port.push_back(0);
          std::lock_guard lock(mu_);
          ++accepted_[port[i]];
        }
      } else if (kind[i] == kUdp) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fds[i].fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) continue;
        {
          std::lock_guard lock(mu_);
          ++seen_[std::string(buf.data(), static_cast<size_t>(n))];
        }
        sendto(fds[i].fd, buf.data(), static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
      } else {
        ssize_t n = read(fds[i].fd, buf.data(), buf.size());
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
          close(fds[i].fd);
          fds[i].fd = -1;  // poll ignores negative fds
          continue;
        }
        if (n < 0) continue;
        // Echo back; a slow reader only slows the test, so block briefly.
        ssize_t off = 0;
        while (off < n) {
          ssize_t w = write(fds[i].fd, buf.data() + off, static_cast<size_t>(n - off));
          if (w > 0) {
            off += w;
          } else if (w < 0 && errno == EAGAIN) {
            pollfd p{fds[i].fd, POLLOUT, 0};
            if (poll(&p, 1, 2000) <= 0) break;
          } else {
            break;
          }
        }
      }
    }
  }
}

bool tcp_echo(const Netns& from, const std::string& dst, uint16_t port, size_t bytes, Millis timeout) {
  Fd s(socket_in(from, AF_INET, SOCK_STREAM | SOCK_NONBLOCK));
  sockaddr_in sa = address(dst, port);
  auto end = std::chrono::steady_clock::now() + timeout;
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) return false;
  pollfd p{s.fd, POLLOUT, 0};
  if (poll(&p, 1, left_ms(end)) <= 0) return false;
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return false;
  std::vector<uint8_t> out(bytes);
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>((i * 131 + i / 251) & 0xff);
  std::vector<uint8_t> in;
  in.reserve(bytes);
  size_t sent = 0;
  std::vector<uint8_t> buf(65536);
  while (in.size() < bytes) {
    pollfd q{s.fd, static_cast<short>(POLLIN | (sent < bytes ? POLLOUT : 0)), 0};
    int n = poll(&q, 1, left_ms(end));
    if (n <= 0) return false;
    if ((q.revents & POLLOUT) && sent < bytes) {
      ssize_t w = write(s.fd, out.data() + sent, std::min<size_t>(bytes - sent, 65536));
      if (w > 0) sent += static_cast<size_t>(w);
    }
    if (q.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = read(s.fd, buf.data(), buf.size());
      if (r == 0 || (r < 0 && errno != EAGAIN)) return false;
      if (r > 0) in.insert(in.end(), buf.begin(), buf.begin() + r);
    }
  }
  return in == out;
}

bool udp_echo(const Netns& from, const std::string& dst, uint16_t port, const std::string& payload, Millis timeout) {
  Fd s(socket_in(from, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK));
  sockaddr_in sa = address(dst, port);
  if (connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return false;
  if (send(s.fd, payload.data(), payload.size(), 0) != static_cast<ssize_t>(payload.size())) return false;
  auto end = std::chrono::steady_clock::now() + timeout;
  std::vector<char> buf(65536);
  while (true) {
    pollfd p{s.fd, POLLIN, 0};
    if (poll(&p, 1, left_ms(end)) <= 0) return false;
    ssize_t n = recv(s.fd, buf.data(), buf.size(), 0);
    if (n >= 0 && std::string(buf.data(), static_cast<size_t>(n)) == payload) return true;
  }
}

void udp_send(const Netns& from, const std::string& dst, uint16_t port, const std::string& payload,
              uint16_t source_port) {
  Fd s(socket_in(from, AF_INET, SOCK_DGRAM));
  if (source_port) {
    int one = 1;
    setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in src = address("0.0.0.0", source_port);
    if (bind(s.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) throw_errno("bind udp source port");
  }
  sockaddr_in sa = address(dst, port);
  if (sendto(s.fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0)
    throw_errno("udp send to " + dst);
}

std::vector<bool> tcp_reach(const Netns& from, const std::string& dst, const std::vector<uint16_t>& ports,
                            Millis timeout) {
  std::vector<pollfd> fds;
  for (uint16_t port : ports) {
    int s = socket_in(from, AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
    sockaddr_in sa = address(dst, port);
    connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fds.push_back({s, POLLOUT, 0});
  }
  std::vector<bool> ok(ports.size(), false);
  auto end = std::chrono::steady_clock::now() + timeout;
  size_t pending = fds.size();
  while (pending > 0) {
    int left = left_ms(end);
    if (left <= 0 || poll(fds.data(), fds.size(), left) <= 0) break;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fds[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
      ok[i] = err == 0;  // every probed port listens: a refusal would mean no server, counted as not reached
      close(fds[i].fd);
      fds[i].fd = -1;
      --pending;
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) close(p.fd);
  return ok;
}

std::vector<bool> udp_reach(const Netns& from, const std::string& dst, const std::vector<uint16_t>& ports,
                            Millis timeout) {
  std::vector<pollfd> fds;
  for (uint16_t port : ports) {
    int s = socket_in(from, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    sockaddr_in sa = address(dst, port);
    connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    std::string payload = "probe " + std::to_string(port);
    send(s, payload.data(), payload.size(), 0);
    fds.push_back({s, POLLIN, 0});
  }
  std::vector<bool> ok(ports.size(), false);
  auto end = std::chrono::steady_clock::now() + timeout;
  size_t pending = fds.size();
  char buf[256];
  while (pending > 0) {
    int left = left_ms(end);
    if (left <= 0 || poll(fds.data(), fds.size(), left) <= 0) break;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = recv(fds[i].fd, buf, sizeof buf, 0);
      ok[i] = n > 0 && std::string(buf, static_cast<size_t>(n)) == "probe " + std::to_string(ports[i]);
      close(fds[i].fd);
      fds[i].fd = -1;
      --pending;
    }
  }
  for (pollfd& p : fds)
    if (p.fd >= 0) close(p.fd);
  return ok;
}

}  // namespace mesh
