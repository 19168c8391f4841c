// Datagrams as the UDP socket and the WireGuard device exchange them.
#ifndef ACLC_RUNTIME_IO_DATAGRAM_H_
#define ACLC_RUNTIME_IO_DATAGRAM_H_

#include <cstdint>
#include <span>

#include "runtime/device/config.h"

namespace aclc::runtime::io {

// A received datagram: its bytes live in the DatagramBatch's buffers and
// may be decrypted in place until the next receive().
struct Datagram {
  Endpoint from;
  std::span<uint8_t> data;
};

// A datagram to send; the bytes only need to live through the send() call.
struct OutDatagram {
  Endpoint to;
  std::span<const uint8_t> data;
};

}  // namespace aclc::runtime::io

#endif  // ACLC_RUNTIME_IO_DATAGRAM_H_
