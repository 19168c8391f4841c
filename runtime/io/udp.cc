#include "runtime/io/udp.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/io/sockaddr.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif

namespace aclc::runtime::io {
namespace {

std::string errno_text(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// Room for one int (UDP_GRO) or uint16_t (UDP_SEGMENT) control message.
constexpr size_t kControlSize = CMSG_SPACE(sizeof(int));

}  // namespace

struct DatagramBatch::Kernel {
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  std::vector<sockaddr_storage> names;
  std::vector<uint8_t> control;
};

DatagramBatch::DatagramBatch(size_t messages)
    : messages_(messages ? messages : 1),
      storage_(new uint8_t[messages_ * kBufferSize]),
      kernel_(new Kernel) {
  kernel_->msgs.resize(messages_);
  kernel_->iov.resize(messages_);
  kernel_->names.resize(messages_);
  kernel_->control.resize(messages_ * kControlSize);
  datagrams_.reserve(messages_ * 64);
}

DatagramBatch::~DatagramBatch() = default;

struct UdpSocket::SendState {
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iov;
  std::vector<sockaddr_storage> names;
  std::vector<uint8_t> control;
  std::vector<size_t> run_of_msg;  // which run each message carries
};

std::unique_ptr<UdpSocket> UdpSocket::open(const UdpOptions& options, std::string* error,
                                           int* errno_out) {
  auto fail = [&](const std::string& what, int err) -> std::unique_ptr<UdpSocket> {
    *error = errno_text(what, err);
    if (errno_out) *errno_out = err;
    return nullptr;
  };
  std::unique_ptr<UdpSocket> s(new UdpSocket);
  s->send_ = std::make_unique<SendState>();
  if (options.ipv6) {
    s->fd_ = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    s->family_ = AF_INET6;
  }
  if (s->fd_ < 0) {  // no IPv6 on this host (or not wanted): IPv4 only
    s->fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    s->family_ = AF_INET;
  }
  if (s->fd_ < 0) return fail("UDP socket", errno);
  int zero = 0, one = 1;
  if (s->family_ == AF_INET6 &&
      ::setsockopt(s->fd_, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) < 0)
    return fail("dual-stack UDP socket (IPV6_V6ONLY off)", errno);
  // FORCE needs CAP_NET_ADMIN; unprivileged, the sysctl caps apply.
  int bytes = options.buffer_bytes;
  if (::setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) < 0)
    ::setsockopt(s->fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  if (::setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) < 0)
    ::setsockopt(s->fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  if (options.fwmark) {
    int err = s->set_fwmark(options.fwmark);
    if (err) return fail("set fwmark " + std::to_string(options.fwmark), -err);
  }
  sockaddr_storage addr{};
  socklen_t len;
  if (s->family_ == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_addr = in6addr_any;
    sin6->sin6_port = htons(options.port);
    len = sizeof *sin6;
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&addr);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_ANY);
    sin->sin_port = htons(options.port);
    len = sizeof *sin;
  }
  if (::bind(s->fd_, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
    int err = errno;
    return fail(err == EADDRINUSE ? "UDP port " + std::to_string(options.port) + " is in use"
                                  : "bind UDP port " + std::to_string(options.port),
                err);
  }
  len = sizeof addr;
  if (::getsockname(s->fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0)
    return fail("getsockname", errno);
  s->port_ = s->family_ == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (options.offload) {
    s->gro_ = ::setsockopt(s->fd_, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
    // As wireguard-go: the option being readable means the kernel has GSO.
    int segment = 0;
    socklen_t slen = sizeof segment;
    s->gso_ = ::getsockopt(s->fd_, SOL_UDP, UDP_SEGMENT, &segment, &slen) == 0;
  }
  return s;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int UdpSocket::set_fwmark(uint32_t mark) {
  if (::setsockopt(fd_, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) return -errno;
  fwmark_ = mark;
  return 0;
}

ssize_t UdpSocket::receive(DatagramBatch& batch) {
  batch.datagrams_.clear();
  DatagramBatch::Kernel& k = *batch.kernel_;
  for (size_t i = 0; i < batch.messages_; i++) {
    k.iov[i] = {batch.storage_.get() + i * DatagramBatch::kBufferSize, DatagramBatch::kBufferSize};
    msghdr& h = k.msgs[i].msg_hdr;
    h = {};
    h.msg_name = &k.names[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &k.iov[i];
    h.msg_iovlen = 1;
    h.msg_control = gro_ ? &k.control[i * kControlSize] : nullptr;
    h.msg_controllen = gro_ ? kControlSize : 0;
    k.msgs[i].msg_len = 0;
  }
  int n;
  do n = ::recvmmsg(fd_, k.msgs.data(), unsigned(batch.messages_), MSG_DONTWAIT, nullptr);
  while (n < 0 && errno == EINTR);
  batch.drained_ = n < int(batch.messages_);
  if (n < 0) return errno == EAGAIN ? 0 : -errno;
  stats_.receive_calls++;
  stats_.messages_received += unsigned(n);
  for (int i = 0; i < n; i++) {
    msghdr& h = k.msgs[i].msg_hdr;
    if (h.msg_flags & MSG_TRUNC) {
      stats_.dropped_truncated++;
      continue;
    }
    std::optional<Endpoint> from = from_sockaddr(k.names[i], h.msg_namelen);
    if (!from) continue;
    size_t gso_size = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        int v;
        std::memcpy(&v, CMSG_DATA(c), sizeof v);
        if (v > 0) gso_size = size_t(v);
      }
    }
    uint8_t* base = static_cast<uint8_t*>(k.iov[i].iov_base);
    const size_t total = k.msgs[i].msg_len;
    const size_t step = gso_size ? gso_size : (total ? total : 1);
    size_t off = 0;
    do {  // a zero-length datagram is still one datagram
      size_t len = total - off < step ? total - off : step;
      batch.datagrams_.push_back({*from, {base + off, len}});
      off += len;
    } while (off < total);
  }
  stats_.datagrams_received += batch.datagrams_.size();
  return ssize_t(batch.datagrams_.size());
}

size_t UdpSocket::send(std::span<const OutDatagram> datagrams) {
  SendState& st = *send_;
  size_t sent = 0;
  size_t start = 0;  // first datagram not yet handed to the kernel
  while (start < datagrams.size()) {
    std::span<const OutDatagram> rest = datagrams.subspan(start);
    plan_gso_runs(rest, runs_, gso_ ? kMaxGsoSegments : 1);
    st.msgs.resize(runs_.size());
    st.names.resize(runs_.size());
    st.control.resize(runs_.size() * kControlSize);
    st.iov.resize(rest.size());
    st.run_of_msg.clear();
    size_t m = 0;
    for (size_t r = 0; r < runs_.size(); r++) {
      const GsoRun& run = runs_[r];
      socklen_t nlen = to_sockaddr(rest[run.first].to, family_, &st.names[m]);
      if (nlen == 0) {  // an IPv6 peer from an IPv4-only socket
        stats_.send_errors += run.count;
        continue;
      }
      for (size_t k = 0; k < run.count; k++) {
        const OutDatagram& d = rest[run.first + k];
        st.iov[run.first + k] = {const_cast<uint8_t*>(d.data.data()), d.data.size()};
      }
      msghdr& h = st.msgs[m].msg_hdr;
      h = {};
      h.msg_name = &st.names[m];
      h.msg_namelen = nlen;
      h.msg_iov = &st.iov[run.first];
      h.msg_iovlen = run.count;
      if (run.count > 1) {
        h.msg_control = &st.control[m * kControlSize];
        h.msg_controllen = CMSG_SPACE(sizeof(uint16_t));
        std::memset(h.msg_control, 0, h.msg_controllen);
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t segment = uint16_t(run.segment_size);
        std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
      }
      st.run_of_msg.push_back(r);
      m++;
    }
    size_t done = 0;  // messages finished (sent or dropped)
    bool replan = false;
    while (done < m) {
      int n = ::sendmmsg(fd_, &st.msgs[done], unsigned(m - done), 0);
      stats_.send_calls++;
      if (n > 0) {
        for (int j = 0; j < n; j++) {
          const GsoRun& run = runs_[st.run_of_msg[done + size_t(j)]];
          sent += run.count;
          stats_.datagrams_sent += run.count;
        }
        stats_.messages_sent += unsigned(n);
        done += unsigned(n);
        continue;
      }
      if (errno == EINTR) continue;
      const GsoRun& run = runs_[st.run_of_msg[done]];
      if (gso_ && run.count > 1 && (errno == EIO || errno == EINVAL)) {
        // The kernel or the route cannot segment: no GSO from now on, and
        // everything from this message on goes again, one datagram each.
        gso_ = false;
        start += run.first;
        // Unreachable runs after this one were counted; the replan counts them again.
        for (size_t r = st.run_of_msg[done] + 1, j = done + 1; r < runs_.size(); r++) {
          if (j < m && st.run_of_msg[j] == r) j++;
          else stats_.send_errors -= runs_[r].count;
        }
        replan = true;
        break;
      }
      stats_.send_errors += run.count;  // unreachable, refused, too big: drop it
      done++;
    }
    if (!replan) break;
  }
  return sent;
}

}  // namespace aclc::runtime::io
