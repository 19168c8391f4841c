// The device's configuration in WireGuard's own terms: what a UAPI `set`
// changes and what a UAPI `get` reports (wireguard.com/xplatform). The UAPI
// server (runtime/uapi) translates text to and from these types; the daemon
// (runtime/meshd) applies them to the device and to the TUN/UDP sockets.
//
// Contract: apply() is all or nothing. A config that cannot be applied in
// full changes nothing and returns a negative errno, which UAPI reports as
// `errno=N`.
#ifndef ACLC_RUNTIME_DEVICE_CONFIG_H_
#define ACLC_RUNTIME_DEVICE_CONFIG_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/wg/secret.h"

namespace aclc::runtime {

using Key32 = std::array<uint8_t, 32>;

// A UDP endpoint. family 4: the address is the first 4 bytes.
struct Endpoint {
  uint8_t family = 4;  // 4 or 6
  std::array<uint8_t, 16> address{};
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

// An allowed-IPs prefix. family 4: the address is the first 4 bytes. Host
// bits past `bits` are zero.
struct AllowedIp {
  uint8_t family = 4;  // 4 or 6
  std::array<uint8_t, 16> address{};
  uint8_t bits = 0;
  friend bool operator==(const AllowedIp&, const AllowedIp&) = default;
};

struct PeerConfig {
  Key32 public_key{};
  bool remove = false;       // remove=true
  bool update_only = false;  // update_only=true: ignore if the peer is unknown
  std::optional<wg::Secret<32>> preshared_key;  // all zero: no PSK
  std::optional<Endpoint> endpoint;
  std::optional<uint16_t> persistent_keepalive;  // seconds; 0: off
  bool replace_allowed_ips = false;
  std::vector<AllowedIp> add_allowed_ips;     // allowed_ip=PREFIX
  std::vector<AllowedIp> remove_allowed_ips;  // allowed_ip=-PREFIX
};

struct DeviceConfig {
  std::optional<wg::Secret<32>> private_key;  // all zero: remove the key
  std::optional<uint16_t> listen_port;        // 0: pick one
  std::optional<uint32_t> fwmark;
  bool replace_peers = false;
  std::vector<PeerConfig> peers;  // in request order
};

struct PeerStatus {
  Key32 public_key{};
  wg::Secret<32> preshared_key;  // all zero: none
  std::optional<Endpoint> endpoint;
  int64_t last_handshake_sec = 0;  // Unix time; 0 when never
  int64_t last_handshake_nsec = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint16_t persistent_keepalive = 0;
  std::vector<AllowedIp> allowed_ips;
};

struct DeviceStatus {
  std::optional<wg::Secret<32>> private_key;
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<PeerStatus> peers;
};

// What the UAPI server drives; the daemon implements it over its device.
class ConfigTarget {
 public:
  virtual ~ConfigTarget() = default;
  // 0, or a negative errno (-EINVAL, -EADDRINUSE, -EIO, ...). All or nothing.
  virtual int apply(const DeviceConfig& config) = 0;
  virtual DeviceStatus status() const = 0;
};

}  // namespace aclc::runtime

#endif  // ACLC_RUNTIME_DEVICE_CONFIG_H_
