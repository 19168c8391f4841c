#include "tests/mesh/crafted.h"

#include <arpa/inet.h>
#include <blake2.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "tests/mesh/error.h"
#include "tests/mesh/netns.h"

namespace mesh {

std::array<uint8_t, 16> mac1(const Key32& recipient_public, const uint8_t* msg, size_t mac1_offset) {
  uint8_t label[8 + 32];
  std::memcpy(label, "mac1----", 8);
  std::memcpy(label + 8, recipient_public.data(), 32);
  uint8_t key[32];
  blake2s(key, label, nullptr, sizeof key, sizeof label, 0);
  std::array<uint8_t, 16> out{};
  blake2s(out.data(), msg, key, out.size(), mac1_offset, sizeof key);
  return out;
}

std::array<uint8_t, kInitiationSize> crafted_initiation(const Key32& responder_public, uint32_t sender_index) {
  std::array<uint8_t, kInitiationSize> m{};
  m[0] = 1;  // type, three reserved zero bytes
  for (int i = 0; i < 4; ++i) m[4 + i] = static_cast<uint8_t>(sender_index >> (8 * i));
  randombytes_buf(m.data() + 8, 116 - 8);  // ephemeral, static, timestamp
  std::array<uint8_t, 16> mac = mac1(responder_public, m.data(), 116);
  std::memcpy(m.data() + 116, mac.data(), 16);  // mac2 stays zero: no cookie
  return m;
}

HandshakeFlood::HandshakeFlood(const Netns& ns, uint16_t port, const Key32& responder_public, size_t per_second)
    : responder_(responder_public), per_second_(per_second) {
  if (sodium_init() < 0) throw Error("libsodium does not initialise");
  sock_ = socket_in(ns, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
  int size = 4 << 20;
  setsockopt(sock_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(sock_, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(sock_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) throw_errno("flood: connect");
  thread_ = std::thread([this] { run(); });
}

HandshakeFlood::~HandshakeFlood() {
  stop();
  close(sock_);
}

void HandshakeFlood::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void HandshakeFlood::run() {
  // A pool of crafted messages (mac1 costs a BLAKE2s each; the responder
  // cannot tell a reused one from a new one before its DH).
  constexpr size_t kPool = 1024, kBurst = 64;
  std::vector<std::array<uint8_t, kInitiationSize>> pool;
  for (size_t i = 0; i < kPool; ++i) pool.push_back(crafted_initiation(responder_, static_cast<uint32_t>(i * 2654435761u)));
  mmsghdr msgs[kBurst];
  iovec iov[kBurst];
  size_t next = 0;
  uint8_t buf[256];
  auto start = std::chrono::steady_clock::now();
  while (!stop_) {
    if (per_second_) {
      // Ahead of schedule: wait for the time the next burst is due.
      auto due = start + std::chrono::microseconds(sent_ * 1000000 / per_second_);
      if (due > std::chrono::steady_clock::now()) std::this_thread::sleep_until(due);
    }
    for (size_t i = 0; i < kBurst; ++i) {
      iov[i] = {pool[next].data(), kInitiationSize};
      next = (next + 1) % kPool;
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(sock_, msgs, kBurst, 0);
    if (n > 0) sent_ += static_cast<size_t>(n);
    while (true) {
      ssize_t r = recv(sock_, buf, sizeof buf, 0);
      if (r < 0) break;
      if (r >= 4 && buf[0] >= 1 && buf[0] <= 4) ++replies_[buf[0]];
    }
    if (n <= 0) {
      pollfd p{sock_, POLLOUT, 0};
      poll(&p, 1, 5);
    }
  }
  // Late replies.
  pollfd p{sock_, POLLIN, 0};
  while (poll(&p, 1, 200) > 0) {
    ssize_t r = recv(sock_, buf, sizeof buf, 0);
    if (r < 0) break;
    if (r >= 4 && buf[0] >= 1 && buf[0] <= 4) ++replies_[buf[0]];
  }
}

}  // namespace mesh
