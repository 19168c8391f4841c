// The UAPI text protocol (wireguard.com/xplatform), translated to and from
// the device contract in runtime/device/config.h. No I/O here: session.h
// frames requests on a connection, server.h owns the sockets.
//
// set: lines `key=value` after "set=1", ended by an empty line. Device keys
// (private_key, listen_port, fwmark, replace_peers) come first; each
// public_key line starts a peer section (remove, update_only,
// preshared_key, endpoint, persistent_keepalive_interval,
// replace_allowed_ips, allowed_ip, protocol_version). The errno for each
// bad request is wireguard-go's (device/uapi.go):
//   a line without '='                             -EPROTO
//   an unknown key, or a peer key before the first
//   public_key line, or a device key after it      -EINVAL
//   a bad value: hex keys not exactly 64 digits, a
//   port or interval not a decimal uint16, fwmark
//   not a decimal uint32, a flag other than "true",
//   protocol_version other than 1, a bad endpoint
//   or prefix (endpoint_text.h)                    -EINVAL
// and the bounds below, which wireguard-go does not have: a line longer
// than kMaxLineBytes is -EINVAL (no valid line comes near it, and
// wireguard-go refuses each such line as a bad value too), more peers,
// allowed IPs or lines than allowed is -EMSGSIZE.
//
// Unlike wireguard-go, which applies each line as it reads it, the whole
// request is parsed before anything is applied, and ConfigTarget::apply is
// all or nothing: a request that fails changes nothing. Order within a
// peer section keeps wireguard-go's meaning: replace_allowed_ips=true
// drops the section's earlier allowed_ip lines, the last of
// `allowed_ip=P` / `allowed_ip=-P` for one prefix wins (add and remove
// lists are disjoint), and remove=true makes the section a removal only
// (later lines are checked and ignored, as wireguard-go's placeholder
// peer). The target, not the parser, ignores a peer whose key is the
// device's own public key, as wireguard-go does.
//
// get: format_get prints the device's state with exactly wireguard-go's
// keys, order and formats; keys in lowercase hex.
#ifndef ACLC_RUNTIME_UAPI_PROTOCOL_H_
#define ACLC_RUNTIME_UAPI_PROTOCOL_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/device/config.h"

namespace aclc::runtime::uapi {

// Bounds on one set request, so that no client makes the daemon allocate
// without limit. The biggest request they admit (2^16 peers with 16 allowed
// IPs each, say) is far beyond any mesh meshd serves.
inline constexpr size_t kMaxLineBytes = 256;
inline constexpr size_t kMaxSetLines = size_t(1) << 22;
inline constexpr size_t kMaxSetPeers = size_t(1) << 16;
inline constexpr size_t kMaxSetAllowedIps = size_t(1) << 20;

// Parses a set request line by line, as it arrives.
class SetParser {
 public:
  // One line of the request, without its '\n'; never the empty line that
  // ends the request. Returns error().
  int add_line(std::string_view line);
  // 0, or the request's negative errno: the first error wins, and later
  // lines are only counted.
  int error() const { return error_; }
  // Why the request failed, for the log ("line 3: invalid peer key
  // \"foo\""). Never holds key material.
  const std::string& detail() const { return detail_; }
  size_t lines() const { return lines_; }
  // The request's configuration. Call once, at the empty line, and only
  // when error() == 0.
  DeviceConfig finish();

 private:
  int fail(int error, std::string detail);
  int device_line(std::string_view key, std::string_view value);
  int peer_line(std::string_view key, std::string_view value);
  void end_peer();

  DeviceConfig config_;
  bool in_peer_ = false;        // a peer section is open: config_.peers.back()
  bool peer_ignored_ = false;   // after remove=true: check lines, keep nothing
  // The open section's allowed_ip lines in order: (prefix, add?).
  std::vector<std::pair<AllowedIp, bool>> allowed_ip_ops_;
  bool allowed_ip_removals_ = false;
  size_t allowed_ips_ = 0;
  size_t lines_ = 0;
  int error_ = 0;
  std::string detail_;
};

struct SetResult {
  int error = 0;        // 0 or a negative errno
  std::string detail;   // why, when error != 0
  DeviceConfig config;  // meaningful when error == 0
};

// Parses the body of a set request (the lines after "set=1\n"), up to an
// empty line or the end of `text`; the last line's '\n' is optional.
SetResult parse_set(std::string_view text);

// Appends the body of a get reply (without the "errno=0\n\n" that ends
// it). Reserves room for the whole reply and the errno line first, so the
// text (it holds the private key) is never copied by a reallocation: the
// caller wipes *out when done with it.
void append_get(const DeviceStatus& status, std::string* out);
std::string format_get(const DeviceStatus& status);

// The set lines that express `config` (no "set=1" header, no empty line),
// in the order `wg set` writes them; parse_set(format_set(c)) yields c for
// every c that parse_set produced. Holds key material: the caller wipes.
std::string format_set(const DeviceConfig& config);

// "errno=N\n\n".
std::string format_errno(int error);

}  // namespace aclc::runtime::uapi

#endif  // ACLC_RUNTIME_UAPI_PROTOCOL_H_
