// meshd's command line. The CLI is a contract for the operator, the systemd
// unit (examples/systemd) and the namespace tests: names only ever gain
// options, they are not renamed.
#ifndef ACLC_RUNTIME_MESHD_OPTIONS_H_
#define ACLC_RUNTIME_MESHD_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/meshd/log.h"

namespace aclc::meshd {

struct Options {
  std::string iface;             // the interface (TUN and UAPI socket) name
  std::string private_key_path;  // WireGuard private key, base64 (`wg genkey`)
  std::string control_key_path;  // control public key (`aclc keygen`'s KEY.pub)
  std::string bundle_path;       // the signed bundle to load (and reload on SIGHUP)
  // --control: fetch bundles over HTTP(S) instead (exactly one of the two).
  std::string control_url;       // aclc serve's base URL, or a URL of a .bundle file
  std::string auth_key_path;     // pre-auth key for the first registration
  std::string hostname;          // registered name; default --device-name, else the host's
  std::vector<std::string> endpoints;  // "host:port" peers reach this node at
  std::string control_ca;        // CA file for https; "" the system's
  uint32_t poll_interval_s = 30; // static .bundle URLs
  std::string state_dir;         // default /var/lib/meshd/IFACE
  std::string device_name;       // "" : pinned by the first accepted bundle
  std::string uapi_dir = "/var/run/wireguard";
  uint16_t listen_port = 51820;  // 0: the kernel picks
  uint32_t mtu = 1420;
  std::string decision_log;      // "" off, "-" stderr, else a file appended to
  LogLevel log_level = LogLevel::kInfo;
  bool assign_addresses = true;  // put the bundle's addresses on IFACE
  uint32_t test_time_scale = 1;  // protocol clock multiplier; tests only
  int handshake_threads = -1;    // threads for initiations' DHs; -1: one per CPU (at most 8); 0: none
};

// The outcome of parsing argv: run with options, print help/version (exit
// 0), or a usage error (message, exit 2).
struct ParseResult {
  enum class Action { kRun, kHelp, kVersion, kUsageError } action = Action::kUsageError;
  Options options;
  std::string error;  // kUsageError: one line, no "meshd:" prefix
};

ParseResult parse_options(const std::vector<std::string>& args);  // args without argv[0]

// The text `meshd --help` prints.
std::string usage_text();

inline constexpr uint32_t kMaxTestTimeScale = 10000;

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_OPTIONS_H_
