#include "tests/mesh/relay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/mesh/error.h"
#include "tests/mesh/netns.h"

namespace mesh {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

constexpr size_t kTransportLogLimit = 100000;

}  // namespace

Relay::Relay(const Netns& ns, uint16_t real_a, uint16_t real_b, uint16_t face_a, uint16_t face_b)
    : real_{real_a, real_b} {
  uint16_t faces[2] = {face_a, face_b};
  for (int i = 0; i < 2; ++i) {
    face_[i] = socket_in(ns, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    int size = 4 << 20;
    setsockopt(face_[i], SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    sockaddr_in sa = loopback(faces[i]);
    if (bind(face_[i], reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      throw_errno("relay: bind 127.0.0.1:" + std::to_string(faces[i]));
  }
  if (pipe2(stop_, O_CLOEXEC) != 0) throw_errno("pipe");
  thread_ = std::thread([this] { loop(); });
}

Relay::~Relay() {
  (void)!write(stop_[1], "x", 1);
  thread_.join();
  for (int fd : {face_[0], face_[1], stop_[0], stop_[1]}) close(fd);
}

void Relay::loop() {
  pollfd fds[3] = {{stop_[0], POLLIN, 0}, {face_[0], POLLIN, 0}, {face_[1], POLLIN, 0}};
  std::vector<uint8_t> buf(65536);
  while (true) {
    if (poll(fds, 3, -1) < 0) continue;
    if (fds[0].revents) return;
    for (int side = 0; side < 2; ++side) {
      if (!fds[side + 1].revents) continue;
      // From A (arrived on the face towards A) goes to B, and back.
      Direction d = side == 0 ? Direction::kAtoB : Direction::kBtoA;
      int to = side == 0 ? 1 : 0;
      for (int burst = 0; burst < 64; ++burst) {
        ssize_t n = recv(face_[side], buf.data(), buf.size(), 0);
        if (n <= 0) break;
        std::vector<uint8_t> dgram(buf.begin(), buf.begin() + n);
        uint8_t type = n >= 4 ? dgram[0] : 0;
        {
          std::lock_guard lock(mu_);
          auto& hold = hold_min_[static_cast<int>(d)];
          if (type == 4 && hold && dgram.size() >= *hold) {
            held_ = dgram;
            hold.reset();
            cv_.notify_all();
            continue;
          }
          if (type >= 1 && type <= 4) ++counts_[static_cast<int>(d)][type];
          if (type == 4 && log_[static_cast<int>(d)].size() < kTransportLogLimit) log_[static_cast<int>(d)].push_back(dgram);
        }
        sockaddr_in dst = loopback(real_[to]);
        sendto(face_[to], dgram.data(), dgram.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
      }
    }
  }
}

void Relay::hold_next_transport(Direction d, size_t min_size) {
  std::lock_guard lock(mu_);
  held_.reset();
  hold_min_[static_cast<int>(d)] = min_size;
}

std::optional<std::vector<uint8_t>> Relay::wait_held(Millis timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return held_.has_value(); });
  return held_;
}

void Relay::inject(Direction d, const std::vector<uint8_t>& datagram) {
  int to = d == Direction::kAtoB ? 1 : 0;
  sockaddr_in dst = loopback(real_[to]);
  if (sendto(face_[to], datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) < 0)
    throw_errno("relay: inject");
}

size_t Relay::forwarded(Direction d, uint8_t type) const {
  std::lock_guard lock(mu_);
  return type >= 1 && type <= 4 ? counts_[static_cast<int>(d)][type] : 0;
}

std::vector<std::vector<uint8_t>> Relay::transport_log(Direction d) const {
  std::lock_guard lock(mu_);
  return log_[static_cast<int>(d)];
}

}  // namespace mesh
