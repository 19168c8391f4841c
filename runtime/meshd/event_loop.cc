#include "runtime/meshd/event_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/meshd/log.h"

namespace aclc::meshd {
namespace {

enum Tag : uint32_t { kTun = 1, kUdp, kUapi, kTimer, kSignal, kControl, kHandshakes };

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

EventLoop::EventLoop(LoopParts parts)
    : p_(parts), tun_batch_(parts.tun.mtu()), udp_batch_(16) {
  outbound_.reserve(tun_batch_.capacity());
}

EventLoop::~EventLoop() {
  if (p_.handshakes) p_.device.set_handshake_offload(nullptr);
  for (int fd : {epoll_fd_, timer_fd_, signal_fd_})
    if (fd >= 0) ::close(fd);
}

bool EventLoop::add(int fd, uint32_t tag, std::string& error) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = tag;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    error = "epoll_ctl: " + errno_text(errno);
    return false;
  }
  return true;
}

std::unique_ptr<EventLoop> EventLoop::create(LoopParts parts, std::string& error) {
  std::unique_ptr<EventLoop> loop(new EventLoop(parts));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    error = "sigprocmask: " + errno_text(errno);
    return nullptr;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a UAPI client hanging up must not kill us
  loop->signal_fd_ = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  loop->timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  loop->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (loop->signal_fd_ < 0 || loop->timer_fd_ < 0 || loop->epoll_fd_ < 0) {
    error = "creating the event loop's descriptors: " + errno_text(errno);
    return nullptr;
  }
  if (!loop->add(loop->signal_fd_, kSignal, error) || !loop->add(loop->timer_fd_, kTimer, error) ||
      !loop->add(parts.tun.fd(), kTun, error))
    return nullptr;
  if (parts.udp.socket && !loop->add(parts.udp.socket->fd(), kUdp, error)) return nullptr;
  if (parts.uapi && !loop->add(parts.uapi->fd(), kUapi, error)) return nullptr;
  if (parts.handshakes) {
    if (!loop->add(parts.handshakes->notify_fd(), kHandshakes, error)) return nullptr;
    parts.device.set_handshake_offload(parts.handshakes);
  }
  EventLoop* raw = loop.get();
  parts.udp.replaced = [raw](int old_fd, int new_fd) { raw->udp_replaced(old_fd, new_fd); };
  return loop;
}

bool EventLoop::attach_uapi(runtime::uapi::Server* uapi, std::string& error) {
  if (!add(uapi->fd(), kUapi, error)) return false;
  p_.uapi = uapi;
  return true;
}

bool EventLoop::attach_control(ControlClient* control, std::string& error) {
  if (!add(control->notify_fd(), kControl, error)) return false;
  control_ = control;
  return true;
}

void EventLoop::take_fetched() {
  if (!control_) return;
  if (auto fetched = control_->take()) handle_load(p_.store.offer(std::move(fetched->bytes), fetched->source));
}

void EventLoop::udp_replaced(int old_fd, int new_fd) {
  if (old_fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, old_fd, nullptr);
  std::string error;
  if (!add(new_fd, kUdp, error)) {
    log_error("watching the new UDP socket: " + error);
    stop_ = true;
  }
}

void EventLoop::handle_load(const BundleLoad& load) {
  switch (load.result) {
    case BundleLoad::Result::kInstalled: log_info(load.message); break;
    case BundleLoad::Result::kUnchanged: log_info(load.message); return;
    case BundleLoad::Result::kRejected: log_warning(load.message); break;
  }
  // At start a rejected load still applies "nothing" (fail closed); later
  // ones leave the bundle in force alone.
  if (load.result == BundleLoad::Result::kRejected && p_.store.current()) return;
  ApplyReport report = p_.applier.apply(p_.store.current());
  for (size_t i = 0; i < report.lines.size(); ++i)
    (i == 0 && report.ok ? log_info : log_warning)(report.lines[i]);
  expired_ = false;
}

void EventLoop::reload() {
  if (control_) {
    log_info("SIGHUP: fetching the bundle now");
    control_->poll_now();
    return;
  }
  log_info("SIGHUP: reloading the bundle");
  handle_load(p_.store.reload());
}

void EventLoop::check_expiry() {
  if (expired_ || !p_.store.current_expired()) return;
  expired_ = true;
  p_.applier.withdraw_filter();
  log_warning("bundle serial " + std::to_string(p_.store.current()->serial) + " expired at " +
              format_unix_time(p_.store.current()->expires_at) +
              ": nothing new passes inbound until a newer bundle is installed (SIGHUP)");
}

bool EventLoop::read_signals() {
  signalfd_siginfo si;
  for (;;) {
    ssize_t n = ::read(signal_fd_, &si, sizeof si);
    if (n < 0 && errno == EINTR) continue;
    if (n != ssize_t(sizeof si)) return true;
    if (si.ssi_signo == SIGHUP) {
      reload();
    } else {
      log_info(std::string("received ") + (si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM") +
               ": shutting down");
      return false;
    }
  }
}

void EventLoop::arm_timer() {
  std::optional<int64_t> due;
  auto consider = [&](int64_t ns) { due = due ? std::min(*due, ns) : ns; };
  if (auto d = p_.device.next_deadline()) consider(p_.clock.to_monotonic_ns(*d));
  if (p_.uapi)
    if (auto d = p_.uapi->next_deadline()) consider(p_.clock.real_to_monotonic_ns(*d));
  if (auto b = p_.store.current(); b && !expired_) {
    uint64_t now = unix_seconds();
    uint64_t left = b->expires_at > now ? b->expires_at - now : 0;
    left = std::min<uint64_t>(left, 3600);  // re-check hourly: wall clocks jump
    consider(monotonic_ns() + int64_t(left) * 1'000'000'000);
  }
  int64_t at = due.value_or(0);
  if (at == armed_ns_) return;
  itimerspec its{};
  if (due) {
    at = std::max<int64_t>(at, 1);  // 0 would disarm
    its.it_value.tv_sec = at / 1'000'000'000;
    its.it_value.tv_nsec = at % 1'000'000'000;
  }
  if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr) == 0) armed_ns_ = at;
}

int EventLoop::run() {
  epoll_event events[16];
  bool busy = false;  // work left over: poll without waiting
  while (!stop_) {
    arm_timer();
    int n = ::epoll_wait(epoll_fd_, events, 16, busy ? 0 : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_error("epoll_wait: " + errno_text(errno));
      return 1;
    }
    bool udp_ready = false, tun_ready = p_.tun.pending(), uapi_ready = false, results_ready = false;
    for (int i = 0; i < n; ++i) {
      switch (events[i].data.u32) {
        case kTun: tun_ready = true; break;
        case kUdp: udp_ready = true; break;
        case kUapi: uapi_ready = true; break;
        case kTimer: {
          uint64_t expirations;
          while (::read(timer_fd_, &expirations, sizeof expirations) < 0 && errno == EINTR) {
          }
          armed_ns_ = -1;
          break;
        }
        case kSignal:
          if (!read_signals()) stop_ = true;
          break;
        case kControl:
          take_fetched();
          break;
        case kHandshakes:
          results_ready = true;
          break;
      }
    }
    if (stop_) break;

    // 1. Data first. UDP until the socket is drained or the turn's share
    // is taken: a flood's backlog then waits in the device's handshake
    // queue, where the load detector sees it and shedding is cheap, not in
    // the socket's buffer ahead of the tunnel's own packets.
    if (udp_ready && p_.udp.socket) {
      size_t taken = 0;
      do {
        ssize_t got = p_.udp.socket->receive(udp_batch_);
        if (got < 0) log_debug("UDP receive: " + errno_text(int(-got)));
        if (got <= 0) break;
        taken += size_t(got);
        inbound_.clear();
        for (auto& d : udp_batch_.datagrams()) inbound_.push_back({d.from, d.data});
        p_.device.receive_datagrams(inbound_, p_.clock.now());
      } while (!udp_batch_.drained() && taken < kUdpTurnBudget);
    }
    if (tun_ready) {
      tun_batch_.clear();
      ssize_t got = p_.tun.read(tun_batch_);
      if (got == -EBADFD) {
        // `ip link del IFACE`: the way to stop a userspace WireGuard.
        log_info("the interface " + p_.tun.name() + " was deleted: shutting down");
        return 0;
      }
      if (got < 0) {
        log_error("reading from the TUN " + p_.tun.name() + ": " + errno_text(int(-got)));
        return 1;
      }
      if (got > 0) {
        outbound_.clear();
        for (size_t i = 0; i < tun_batch_.size(); ++i) {
          uint8_t* start = tun_batch_.data(i) - runtime::io::kHeadroom;
          size_t room = runtime::io::kHeadroom + tun_batch_.max_packet() + runtime::io::kTailroom;
          outbound_.push_back({std::span<uint8_t>(start, room), tun_batch_.packet(i).size()});
        }
        p_.device.send_packets(outbound_, p_.clock.now());
      }
    }

    // 2. Handshakes: the threads' results, then new ones within a budget.
    if (results_ready) {
      p_.handshakes->take(initiation_results_);
      p_.device.complete_initiations(initiation_results_, p_.clock.now());
      initiation_results_.clear();
    }
    p_.device.process_handshakes(p_.clock.now(), kHandshakeBudget);
    busy = p_.device.handshakes_ready() || p_.tun.pending();

    // 3. Timers and UAPI.
    wg::Instant now = p_.clock.now();
    if (auto d = p_.device.next_deadline(); d && *d <= now) p_.device.tick(now);
    if (p_.uapi) {
      auto d = p_.uapi->next_deadline();
      wg::Instant real = p_.clock.real_now();
      if (uapi_ready || (d && *d <= real)) p_.uapi->process(real);
      if (p_.uapi->socket_removed()) {
        log_info("the UAPI socket " + p_.uapi->path() + " was removed: shutting down");
        return 0;
      }
    }

    // 5. The bundle's expiry.
    check_expiry();
  }
  return 0;
}

}  // namespace aclc::meshd
