// The `wg` tool against a daemon's UAPI socket: configuration with
// `wg set` and state with `wg show IFACE dump`. Works the same for
// wireguard-go and meshd, which is the point of both speaking UAPI.
#ifndef ACLC_TESTS_MESH_WG_TOOL_H_
#define ACLC_TESTS_MESH_WG_TOOL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace mesh {

struct PeerState {
  std::string public_key;  // base64
  std::string endpoint;    // "(none)" when unknown
  std::string allowed_ips;
  int64_t latest_handshake = 0;  // Unix seconds; 0: never
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

struct DeviceState {
  std::string public_key;
  uint16_t listen_port = 0;
  std::vector<PeerState> peers;
  // The peer with this base64 key; throws mesh::Error if absent.
  const PeerState& peer(const std::string& public_key) const;
};

// Whether a daemon accepts connections on IFACE's UAPI socket. Wait on
// this, not on `wg show`, for a daemon to come up: `wg` unlinks a socket
// that refuses connections, and a daemon that binds before it listens
// (wireguard-go does) refuses them for a moment.
bool uapi_listening(const std::string& iface);
// Parses `wg show IFACE dump`. Throws mesh::Error.
DeviceState wg_show(const std::string& iface);
// `wg set IFACE ARGS`. Throws mesh::Error with wg's message.
void wg_set(const std::string& iface, const std::string& args);

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_WG_TOOL_H_
