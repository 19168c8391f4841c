#include "runtime/meshd/io_output.h"

namespace aclc::meshd {

void IoOutput::send_datagrams(const runtime::Endpoint& to,
                              std::span<const std::span<const uint8_t>> datagrams) {
  if (!udp_.socket) return;
  out_.clear();
  for (auto d : datagrams) out_.push_back({to, d});
  udp_.socket->send(out_);
}

void IoOutput::deliver_packets(std::span<const std::span<const uint8_t>> packets) {
  // A refused packet is counted by the TUN; a fatal error shows up on the
  // next read, where the loop stops.
  if (tun_.write(packets) < 0) ++tun_write_errors_;
}

}  // namespace aclc::meshd
