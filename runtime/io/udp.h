// WireGuard's UDP socket for the daemon's epoll loop: one dual-stack
// (AF_INET6, IPV6_V6ONLY off) socket, or AF_INET when the host has no IPv6;
// 7 MB buffers (SO_*BUFFORCE, falling back to the capped variants, as
// wireguard-go f26efb6); an optional fwmark. Receives with recvmmsg and
// UDP_GRO, sends with sendmmsg and UDP_SEGMENT; when the kernel refuses GSO
// (EIO / EINVAL) it is turned off for good and the batch resent without it.
//
// Not thread-safe; one owner (the event loop).
#ifndef ACLC_RUNTIME_IO_UDP_H_
#define ACLC_RUNTIME_IO_UDP_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/io/datagram.h"
#include "runtime/io/udp_gso.h"

namespace aclc::runtime::io {

struct UdpOptions {
  uint16_t port = 0;      // 0: the kernel picks one (see UdpSocket::port())
  uint32_t fwmark = 0;    // 0: none
  bool offload = true;    // UDP_GRO on receive and UDP_SEGMENT on send
  int buffer_bytes = 7 << 20;
  bool ipv6 = true;       // false: an AF_INET socket only
};

struct UdpStats {
  uint64_t receive_calls = 0;    // recvmmsg calls that returned messages
  uint64_t messages_received = 0;
  uint64_t datagrams_received = 0;
  uint64_t send_calls = 0;       // sendmmsg calls
  uint64_t messages_sent = 0;
  uint64_t datagrams_sent = 0;
  uint64_t send_errors = 0;      // datagrams dropped on a send error
  uint64_t dropped_truncated = 0;
};

// Receive buffers reused across calls, and the datagrams of the last
// receive() as views into them.
class DatagramBatch {
 public:
  // messages: buffers for one recvmmsg, each large enough for a GRO
  // super-datagram (64 KiB), so one call can yield thousands of datagrams.
  explicit DatagramBatch(size_t messages = 16);
  ~DatagramBatch();

  size_t size() const { return datagrams_.size(); }
  Datagram& operator[](size_t i) { return datagrams_[i]; }
  std::span<Datagram> datagrams() { return datagrams_; }
  void clear() { datagrams_.clear(); }
  // True when the last receive() took fewer messages than the batch holds:
  // the socket had nothing more queued at that moment.
  bool drained() const { return drained_; }

 private:
  friend class UdpSocket;
  static constexpr size_t kBufferSize = 65536;
  size_t messages_;
  bool drained_ = true;
  std::unique_ptr<uint8_t[]> storage_;
  std::vector<Datagram> datagrams_;
  struct Kernel;  // mmsghdr, iovec, addresses and control buffers
  std::unique_ptr<Kernel> kernel_;
};

class UdpSocket {
 public:
  // Binds to options.port on every address. nullptr with *error set on
  // failure (port in use: the message says so and errno_out is EADDRINUSE).
  static std::unique_ptr<UdpSocket> open(const UdpOptions& options, std::string* error,
                                         int* errno_out = nullptr);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const { return fd_; }  // poll for EPOLLIN; reads never block
  uint16_t port() const { return port_; }
  int family() const { return family_; }
  uint32_t fwmark() const { return fwmark_; }
  bool gso() const { return gso_; }
  bool gro() const { return gro_; }
  const UdpStats& stats() const { return stats_; }

  // 0 or -errno. 0 clears the mark.
  int set_fwmark(uint32_t mark);

  // Replaces batch's contents with the datagrams one recvmmsg returns
  // (GRO buffers split). Returns their number, 0 when nothing is queued, or
  // -errno on an error.
  ssize_t receive(DatagramBatch& batch);

  // Sends datagrams in order (GSO runs where possible). A datagram the
  // kernel refuses (unreachable, bad address) is counted and skipped; a full
  // socket buffer blocks. Returns the number of datagrams sent.
  size_t send(std::span<const OutDatagram> datagrams);

 private:
  UdpSocket() = default;
  int fd_ = -1;
  int family_ = 0;
  uint16_t port_ = 0;
  uint32_t fwmark_ = 0;
  bool gso_ = false;
  bool gro_ = false;
  UdpStats stats_;
  std::vector<GsoRun> runs_;
  struct SendState;  // mmsghdr/iovec/cmsg arrays reused across send() calls
  std::unique_ptr<SendState> send_;
};

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_UDP_H_
