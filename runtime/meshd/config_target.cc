#include "runtime/meshd/config_target.h"

#include <cerrno>

#include "runtime/meshd/log.h"

namespace aclc::meshd {

int DaemonConfigTarget::apply(const runtime::DeviceConfig& config) {
  runtime::io::UdpSocket* current = udp_.socket.get();
  std::unique_ptr<runtime::io::UdpSocket> fresh;
  uint32_t mark = config.fwmark.value_or(current ? current->fwmark() : 0);
  if (config.listen_port && (!current || *config.listen_port == 0 ||
                             *config.listen_port != current->port())) {
    runtime::io::UdpOptions o = udp_.options;
    o.port = *config.listen_port;
    o.fwmark = mark;
    std::string error;
    int err = 0;
    fresh = runtime::io::UdpSocket::open(o, &error, &err);
    if (!fresh) {
      log_warning("UAPI set listen_port=" + std::to_string(o.port) + " refused: " + error);
      return err > 0 ? -err : -EADDRINUSE;
    }
  }
  runtime::io::UdpSocket* target = fresh ? fresh.get() : current;
  uint32_t old_mark = current ? current->fwmark() : 0;
  if (config.fwmark && target && !fresh) {
    if (int rc = target->set_fwmark(*config.fwmark); rc != 0) return rc;
  }

  runtime::DeviceConfig forwarded = config;
  if (fresh) forwarded.listen_port = fresh->port();  // the port actually bound
  if (int rc = device_.apply(forwarded); rc != 0) {
    if (config.fwmark && target && !fresh) target->set_fwmark(old_mark);
    return rc;  // `fresh`, if any, is closed: nothing changed
  }
  if (fresh) {
    int old_fd = current ? current->fd() : -1;
    int new_fd = fresh->fd();
    std::unique_ptr<runtime::io::UdpSocket> old = std::move(udp_.socket);
    udp_.socket = std::move(fresh);
    udp_.options.port = udp_.socket->port();
    udp_.options.fwmark = udp_.socket->fwmark();
    if (udp_.replaced) udp_.replaced(old_fd, new_fd);  // before `old` closes its fd
    log_info("listening on UDP port " + std::to_string(udp_.socket->port()));
  } else if (config.fwmark) {
    udp_.options.fwmark = *config.fwmark;
  }
  return 0;
}

runtime::DeviceStatus DaemonConfigTarget::status() const {
  runtime::DeviceStatus s = device_.status();
  if (udp_.socket) {
    s.listen_port = udp_.socket->port();
    s.fwmark = udp_.socket->fwmark();
  }
  return s;
}

}  // namespace aclc::meshd
