// meshd's single-threaded event loop: one epoll set over the TUN, the UDP
// socket, the UAPI server, a timerfd and a signalfd.
//
// Each turn does, in this order, so data is preferred over handshakes
// under load:
//   1. batches from the UDP socket until it is drained or kUdpTurnBudget
//      datagrams were taken -> Device::receive_datagrams (decrypt, filter,
//      write to the TUN; handshakes queued); one batch from the TUN ->
//      Device::send_packets (filter, encrypt, send);
//   2. the handshake threads' finished results, committed
//      (Device::complete_initiations); then at most kHandshakeBudget queued
//      handshake messages (the expensive DH, or with threads the hand-off
//      to them); if more can be taken, the next turn does not wait;
//   3. the device's timers when due; the UAPI server's work;
//   4. signals: SIGHUP reloads the bundle (with --control: fetches it
//      now); SIGTERM and SIGINT end run(); a bundle the control client
//      fetched is offered to the store and, if accepted, applied;
//   5. the bundle's expiry: when the bundle in force expires, the filter's
//      table is withdrawn (nothing new passes inbound) until a newer
//      bundle is installed;
// then arms the timerfd for the earliest deadline. epoll is level
// triggered: a source with more queued than one batch is simply ready
// again on the next turn, which keeps the directions fair.
#ifndef ACLC_RUNTIME_MESHD_EVENT_LOOP_H_
#define ACLC_RUNTIME_MESHD_EVENT_LOOP_H_

#include <memory>
#include <vector>

#include "runtime/device/device.h"
#include "runtime/io/buffers.h"
#include "runtime/io/tun.h"
#include "runtime/io/udp.h"
#include "runtime/meshd/bundle_apply.h"
#include "runtime/meshd/bundle_store.h"
#include "runtime/meshd/clock.h"
#include "runtime/meshd/config_target.h"
#include "runtime/meshd/control_client.h"
#include "runtime/meshd/handshake_workers.h"
#include "runtime/uapi/server.h"

namespace aclc::meshd {

// Handshake messages answered with DH per turn: ~16 × 60 µs keeps a turn's
// latency for data around a millisecond under a flood (cheap answers, such
// as cookie replies, count 1/32: Device::process_handshakes).
inline constexpr size_t kHandshakeBudget = 16;
// Datagrams taken from the UDP socket per turn (more if one receive brings
// more: a GRO batch). Enough to drain a flood into the handshake queue.
inline constexpr size_t kUdpTurnBudget = 1024;

struct LoopParts {
  runtime::Device& device;
  runtime::io::Tun& tun;
  UdpSlot& udp;
  runtime::uapi::Server* uapi = nullptr;  // optional
  BundleStore& store;
  BundleApplier& applier;
  const ProtocolClock& clock;
  HandshakeWorkers* handshakes = nullptr;  // optional: initiations' DHs on other threads
};

class EventLoop {
 public:
  // Blocks SIGTERM, SIGINT and SIGHUP (they arrive through the signalfd)
  // and ignores SIGPIPE. nullptr with `error` on failure.
  static std::unique_ptr<EventLoop> create(LoopParts parts, std::string& error);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Logs a bundle load and, if it installed a bundle, applies it.
  void handle_load(const BundleLoad& load);
  // Starts serving UAPI (after the first bundle is applied, so a client
  // that sees the socket sees the bundle's peers). False with `error`.
  bool attach_uapi(runtime::uapi::Server* uapi, std::string& error);
  // Takes bundles from `control` as it fetches them (--control). False
  // with `error`.
  bool attach_control(ControlClient* control, std::string& error);

  // Runs until SIGTERM or SIGINT, the interface's deletion or the UAPI
  // socket file's removal (returns 0: how a userspace WireGuard is
  // stopped), or a fatal I/O error (logs it, returns 1).
  int run();

 private:
  explicit EventLoop(LoopParts parts);
  bool add(int fd, uint32_t tag, std::string& error);
  void udp_replaced(int old_fd, int new_fd);
  bool read_signals();  // false: stop
  void reload();
  void take_fetched();
  void check_expiry();
  void arm_timer();

  LoopParts p_;
  ControlClient* control_ = nullptr;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  int signal_fd_ = -1;
  bool stop_ = false;
  bool expired_ = false;  // the bundle in force expired and its table is withdrawn
  int64_t armed_ns_ = -1;

  runtime::io::PacketBatch tun_batch_;
  runtime::io::DatagramBatch udp_batch_;
  std::vector<runtime::OutboundPacket> outbound_;
  std::vector<runtime::InboundDatagram> inbound_;
  std::vector<runtime::InitiationResult> initiation_results_;
};

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_EVENT_LOOP_H_
