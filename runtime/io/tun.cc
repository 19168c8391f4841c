#include "runtime/io/tun.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/io/gso_split.h"

// Debian 12's headers predate USO (Linux 6.2).
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

namespace aclc::runtime::io {
namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Sets the MTU and IFF_UP through an ioctl socket of the current namespace.
bool configure_link(const std::string& name, uint32_t mtu, bool up, std::string* error) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    *error = errno_text("socket for interface ioctls");
    return false;
  }
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), name.size());
  bool ok = true;
  ifr.ifr_mtu = int(mtu);
  if (::ioctl(s, SIOCSIFMTU, &ifr) < 0) {
    *error = errno_text(("set MTU " + std::to_string(mtu) + " on " + name).c_str());
    ok = false;
  }
  if (ok && up) {
    if (::ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
      *error = errno_text(("get flags of " + name).c_str());
      ok = false;
    } else {
      ifr.ifr_flags |= IFF_UP;
      if (::ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
        *error = errno_text(("bring up " + name).c_str());
        ok = false;
      }
    }
  }
  ::close(s);
  return ok;
}

}  // namespace

std::unique_ptr<Tun> Tun::open(const TunOptions& options, std::string* error) {
  if (options.name.size() >= IFNAMSIZ) {
    *error = "interface name '" + options.name + "' is longer than " + std::to_string(IFNAMSIZ - 1) +
             " characters";
    return nullptr;
  }
  if (options.mtu < 1280 || options.mtu > 65535) {
    // 1280: the IPv6 minimum, which WireGuard's inner traffic needs.
    *error = "MTU " + std::to_string(options.mtu) + " is outside 1280..65535";
    return nullptr;
  }
  std::unique_ptr<Tun> tun(new Tun);
  tun->fd_ = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (tun->fd_ < 0) {
    *error = errno_text("open /dev/net/tun");
    return nullptr;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (options.offload ? IFF_VNET_HDR : 0);
  std::memcpy(ifr.ifr_name, options.name.c_str(), options.name.size());
  if (::ioctl(tun->fd_, TUNSETIFF, &ifr) < 0) {
    *error = errno_text(("create TUN interface '" + options.name + "'").c_str());
    return nullptr;
  }
  tun->name_ = ifr.ifr_name;
  if (options.offload) {
    int hdr_size = int(kVnetHdrSize);
    if (::ioctl(tun->fd_, TUNSETVNETHDRSZ, &hdr_size) < 0) {
      *error = errno_text("TUNSETVNETHDRSZ");
      return nullptr;
    }
    tun->vnet_hdr_ = true;
    // USO needs Linux 6.2; without it, TCP offload alone; without that, the
    // header still comes (GSO_NONE) and the kernel may still leave checksums
    // to us only if TUN_F_CSUM was accepted.
    const unsigned tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (::ioctl(tun->fd_, TUNSETOFFLOAD, tso | TUN_F_USO4 | TUN_F_USO6) == 0) {
      tun->uso_ = true;
    } else if (::ioctl(tun->fd_, TUNSETOFFLOAD, tso) < 0) {
      *error = errno_text("TUNSETOFFLOAD");
      return nullptr;
    }
    tun->read_buf_.resize(kVnetHdrSize + kMaxIpPacket);
  }
  if (!configure_link(tun->name_, options.mtu, options.bring_up, error)) return nullptr;
  tun->mtu_ = options.mtu;
  return tun;
}

Tun::~Tun() {
  if (fd_ >= 0) ::close(fd_);
}

ssize_t Tun::read(PacketBatch& batch) {
  const size_t before = batch.size();
  // Bounded, so a flood of malformed packets cannot pin the loop here.
  for (size_t attempts = 0; attempts < 2 * batch.capacity(); attempts++) {
    if (pending_len_) {
      std::span<const uint8_t> packet(read_buf_.data() + kVnetHdrSize, pending_len_ - kVnetHdrSize);
      SplitStatus st = split_super_packet(VnetHdr::decode(read_buf_.data()), packet, batch, pending_segment_);
      if (st == SplitStatus::kBatchFull) break;
      if (st == SplitStatus::kMalformed) stats_.dropped_malformed++;
      if (st == SplitStatus::kTooLarge) stats_.dropped_too_large++;
      pending_len_ = 0;
    }
    if (batch.full()) break;
    if (!vnet_hdr_) {
      // One spare byte (from the tailroom) tells an oversized packet apart.
      uint8_t* d = batch.push(batch.max_packet());
      ssize_t n = ::read(fd_, d, batch.max_packet() + 1);
      if (n <= 0) {
        batch.pop_last();
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno != EAGAIN) return -errno;
        break;
      }
      stats_.reads++;
      if (size_t(n) > batch.max_packet()) {
        batch.pop_last();
        stats_.dropped_too_large++;
        continue;
      }
      batch.shrink_last(size_t(n));
      continue;
    }
    ssize_t n = ::read(fd_, read_buf_.data(), read_buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return -errno;
      break;
    }
    stats_.reads++;
    if (size_t(n) <= kVnetHdrSize) {
      stats_.dropped_malformed++;
      continue;
    }
    if ((read_buf_[1] & ~VnetHdr::kGsoEcn) != VnetHdr::kGsoNone) stats_.super_packets++;
    pending_len_ = size_t(n);
    pending_segment_ = 0;
  }
  const size_t got = batch.size() - before;
  stats_.packets_read += got;
  return ssize_t(got);
}

ssize_t Tun::write(std::span<const std::span<const uint8_t>> packets) {
  size_t accepted = 0;
  auto count_error = [&](size_t n) -> bool {
    // EINVAL/EFAULT: the kernel refused this packet; anything else (EBADFD:
    // the interface is gone) is fatal.
    if (errno == EINVAL || errno == EFAULT || errno == EMSGSIZE || errno == EIO || errno == ENOBUFS ||
        errno == ENOMEM) {
      stats_.write_errors += n;
      return true;
    }
    return false;
  };
  if (!vnet_hdr_) {
    for (auto p : packets) {
      ssize_t n;
      do n = ::write(fd_, p.data(), p.size());
      while (n < 0 && errno == EINTR);
      if (n < 0) {
        if (!count_error(1)) return -errno;
        continue;
      }
      stats_.writes++;
      accepted++;
    }
    stats_.packets_written += accepted;
    return ssize_t(accepted);
  }

  plan_tun_writes(packets, plan_);
  static const uint8_t kPlainHdr[kVnetHdrSize] = {};  // GSO_NONE, checksums complete
  uint8_t header[kMaxSuperHeader];
  iovec iov[1 + kMaxCoalescedSegments];
  for (const TunWrite& w : plan_) {
    size_t iovcnt;
    if (w.count == 1) {
      iov[0] = {const_cast<uint8_t*>(kPlainHdr), kVnetHdrSize};
      iov[1] = {const_cast<uint8_t*>(packets[w.first].data()), packets[w.first].size()};
      iovcnt = 2;
    } else {
      std::span<const std::span<const uint8_t>> run = packets.subspan(w.first, w.count);
      size_t h = build_super_header(run, header);
      iov[0] = {header, kVnetHdrSize + h};
      for (size_t k = 0; k < w.count; k++)
        iov[1 + k] = {const_cast<uint8_t*>(run[k].data() + h), run[k].size() - h};
      iovcnt = 1 + w.count;
    }
    ssize_t n;
    do n = ::writev(fd_, iov, int(iovcnt));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (!count_error(w.count)) return -errno;
      continue;
    }
    stats_.writes++;
    accepted += w.count;
    if (w.count > 1) stats_.coalesced += w.count;
  }
  stats_.packets_written += accepted;
  return ssize_t(accepted);
}

}  // namespace aclc::runtime::io
