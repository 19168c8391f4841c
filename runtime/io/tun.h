// A Linux TUN interface for the daemon's epoll loop: IFF_TUN | IFF_NO_PI,
// non-blocking, optionally IFF_VNET_HDR with TSO4/TSO6 (and USO4/USO6 when
// the kernel accepts them), so one read yields up to 64 KiB of TCP that we
// segment, and one write can carry a coalesced run of TCP segments.
//
// Not thread-safe; one owner (the event loop).
#ifndef ACLC_RUNTIME_IO_TUN_H_
#define ACLC_RUNTIME_IO_TUN_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/io/buffers.h"
#include "runtime/io/tcp_coalesce.h"
#include "runtime/io/vnet_hdr.h"

namespace aclc::runtime::io {

struct TunOptions {
  std::string name;       // "" lets the kernel pick (tun%d)
  uint32_t mtu = 1420;    // WireGuard's default
  bool offload = true;    // IFF_VNET_HDR + TSO/USO when the kernel has them
  bool bring_up = true;   // IFF_UP
};

struct TunStats {
  uint64_t reads = 0;             // read(2) calls that returned data
  uint64_t packets_read = 0;      // IP packets yielded (after segmentation)
  uint64_t super_packets = 0;     // reads carrying a GSO super-packet
  uint64_t writes = 0;            // write(2) calls that succeeded
  uint64_t packets_written = 0;   // IP packets the kernel accepted
  uint64_t coalesced = 0;         // packets written inside a super-packet
  uint64_t dropped_malformed = 0; // bad vnet header or packet, from either side
  uint64_t dropped_too_large = 0; // a packet larger than the batch's slots
  uint64_t write_errors = 0;      // packets the kernel refused
};

class Tun {
 public:
  // Creates (or attaches to) the interface in the current network
  // namespace, sets its MTU and brings it up. Needs CAP_NET_ADMIN. nullptr
  // with *error set on failure.
  static std::unique_ptr<Tun> open(const TunOptions& options, std::string* error);
  ~Tun();
  Tun(const Tun&) = delete;
  Tun& operator=(const Tun&) = delete;

  int fd() const { return fd_; }  // non-blocking; poll for EPOLLIN
  const std::string& name() const { return name_; }
  uint32_t mtu() const { return mtu_; }
  bool vnet_hdr() const { return vnet_hdr_; }
  bool uso() const { return uso_; }  // UDP segmentation offload accepted
  const TunStats& stats() const { return stats_; }

  // Appends the IP packets the kernel has queued to batch (slots of at
  // least mtu() bytes), until the batch is full or the kernel has nothing.
  // A super-packet that does not fit stays pending and is continued by the
  // next call, so: while pending() is true, call read() again without
  // waiting for the fd. Returns the packets appended, or -errno on a fatal
  // error (EAGAIN is not one: it ends the call).
  ssize_t read(PacketBatch& batch);
  bool pending() const { return pending_len_ != 0; }

  // Writes IP packets in order, coalescing TCP runs when vnet_hdr(). A
  // packet the kernel refuses is counted and skipped. Returns the number of
  // packets the kernel accepted, or -errno on a fatal error.
  ssize_t write(std::span<const std::span<const uint8_t>> packets);

 private:
  Tun() = default;
  int fd_ = -1;
  std::string name_;
  uint32_t mtu_ = 0;
  bool vnet_hdr_ = false;
  bool uso_ = false;
  TunStats stats_;
  // A super-packet read but not yet fully segmented (vnet header first).
  std::vector<uint8_t> read_buf_;
  size_t pending_len_ = 0;
  size_t pending_segment_ = 0;
  std::vector<TunWrite> plan_;
};

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_TUN_H_
