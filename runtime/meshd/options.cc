#include "runtime/meshd/options.h"

#include <net/if.h>

#include <charconv>
#include <functional>
#include <map>

#include "runtime/meshd/control_url.h"

namespace aclc::meshd {
namespace {

// A name the kernel accepts for a link and that is safe as one file name
// in the UAPI directory.
bool valid_iface(const std::string& s, std::string& why) {
  if (s.empty()) {
    why = "the interface name is empty";
    return false;
  }
  if (s.size() >= IFNAMSIZ) {
    why = "interface name \"" + s + "\" is longer than " + std::to_string(IFNAMSIZ - 1) +
          " characters";
    return false;
  }
  if (s == "." || s == "..") {
    why = "\"" + s + "\" is not an interface name";
    return false;
  }
  for (unsigned char c : s)
    if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f) {
      why = "interface name \"" + s + "\" may not contain '/', ':', spaces or control characters";
      return false;
    }
  return true;
}

template <typename T>
bool parse_number(const std::string& text, T min, T max, T& out) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v < uint64_t(min) || v > uint64_t(max))
    return false;
  out = T(v);
  return true;
}

}  // namespace

std::string usage_text() {
  return R"(Usage: meshd [--foreground] IFACE --private-key FILE --control-key FILE
             (--bundle FILE | --control URL [--auth-key-file FILE]) [options]

meshd runs one node of an aclc mesh: it creates the WireGuard interface IFACE
(a TUN device), loads this node's signed bundle (compiled by
`aclc compile --format bundle --sign-key KEY`), configures the bundle's peers
and enforces the bundle's packet filter on everything that arrives through
the tunnel. It speaks standard WireGuard, so its peers may run wireguard-go
or kernel WireGuard, and `wg show IFACE` / `wg set IFACE` work through the
UAPI socket UAPI_DIR/IFACE.sock.

Required:
  IFACE                     interface name (at most 15 characters), e.g. mesh0
  --private-key FILE        this node's WireGuard private key, as `wg genkey`
                            writes it (base64); keep it mode 0600
  --control-key FILE        the control public key that signs bundles, as
                            `aclc keygen --out KEY` writes it to KEY.pub
  --bundle FILE             this node's bundle; reloaded on SIGHUP
  or
  --control URL             fetch the bundle over HTTP(S) instead: from
                            `aclc serve` at its base URL (registers once, then
                            long-polls; SIGHUP fetches at once), or from any
                            static server when the URL ends in .bundle
                            (polled with If-None-Match)

Fetching (with --control):
  --auth-key-file FILE      the pre-auth key that registers this node with
                            aclc serve (once: the node key it returns is kept
                            in the state directory, mode 0600)
  --hostname NAME           the name to register (default: --device-name,
                            else this host's name)
  --endpoint HOST:PORT      where peers reach this node; repeatable
  --control-ca FILE         CA certificates for an https URL (default: the
                            system's)
  --poll-interval S         seconds between polls of a .bundle URL (default 30)

Options:
  --state-dir DIR           where meshd keeps the last accepted bundle and its
                            serial, so a restart cannot be rolled back to an
                            older bundle (default /var/lib/meshd/IFACE)
  --device-name NAME        the device name bundles must be for (the
                            hostname in aclc's device list); by default the
                            name of the first bundle accepted, remembered in
                            the state directory
  --listen-port N           UDP port for WireGuard (default 51820; 0: any)
  --mtu N                   interface MTU (default 1420)
  --no-addresses            do not put the bundle's addresses on IFACE (for
                            when you assign them yourself, or move IFACE to
                            another network namespace)
  --handshake-threads N     threads that do the DH of incoming handshakes, so
                            a handshake flood uses every core (default: one
                            per CPU, at most 8; 0: on the main thread)
  --log-decisions FILE|-    append the filter's decision log (JSON lines) to
                            FILE, or to stderr with -
  --log-level LEVEL         error, warning, info (default) or debug
  --uapi-dir DIR            directory of the UAPI socket (default
                            /var/run/wireguard, where `wg` looks)
  --test-time-scale N       TEST ONLY: run the protocol clock N times faster
                            (rekey after 120/N s); never use in production
  -f, --foreground          accepted for compatibility: meshd always stays in
                            the foreground (let systemd supervise it)
  -h, --help                this text
  --version                 the version

Signals: SIGHUP reloads the bundle (a bundle that fails verification is
logged and the last good one stays in force); SIGTERM or SIGINT shut down
cleanly. With no valid bundle meshd runs fail closed: no peers, nothing from
the mesh reaches this host. See docs/meshd.md.

Exit status: 0 after a clean shutdown, 1 on a runtime failure (e.g. the TUN
cannot be created), 2 on a usage error.
)";
}

ParseResult parse_options(const std::vector<std::string>& args) {
  ParseResult r;
  Options& o = r.options;
  auto fail = [&](std::string message) {
    r.action = ParseResult::Action::kUsageError;
    r.error = std::move(message);
    return r;
  };

  // Options that take a value; each handler returns false with `why` set.
  std::string why;
  std::map<std::string, std::function<bool(const std::string&)>> valued = {
      {"--private-key", [&](const std::string& v) { o.private_key_path = v; return true; }},
      {"--control-key", [&](const std::string& v) { o.control_key_path = v; return true; }},
      {"--bundle", [&](const std::string& v) { o.bundle_path = v; return true; }},
      {"--control",
       [&](const std::string& v) {
         if (!parse_control_url(v, why)) return false;
         o.control_url = v;
         return true;
       }},
      {"--auth-key-file", [&](const std::string& v) { o.auth_key_path = v; return true; }},
      {"--hostname", [&](const std::string& v) { o.hostname = v; return true; }},
      {"--control-ca", [&](const std::string& v) { o.control_ca = v; return true; }},
      {"--endpoint",
       [&](const std::string& v) {
         size_t colon = v.rfind(':');
         uint16_t port = 0;
         if (colon != std::string::npos && colon > 0 &&
             parse_number<uint16_t>(v.substr(colon + 1), 1, 65535, port)) {
           o.endpoints.push_back(v);
           return true;
         }
         why = "--endpoint " + v + ": expected HOST:PORT";
         return false;
       }},
      {"--poll-interval",
       [&](const std::string& v) {
         if (parse_number<uint32_t>(v, 1, 86400, o.poll_interval_s)) return true;
         why = "--poll-interval " + v + ": expected seconds 1..86400";
         return false;
       }},
      {"--state-dir", [&](const std::string& v) { o.state_dir = v; return true; }},
      {"--device-name", [&](const std::string& v) { o.device_name = v; return true; }},
      {"--uapi-dir", [&](const std::string& v) { o.uapi_dir = v; return true; }},
      {"--log-decisions", [&](const std::string& v) { o.decision_log = v; return true; }},
      {"--listen-port",
       [&](const std::string& v) {
         if (parse_number<uint16_t>(v, 0, 65535, o.listen_port)) return true;
         why = "--listen-port " + v + ": expected a port number 0..65535";
         return false;
       }},
      {"--handshake-threads",
       [&](const std::string& v) {
         uint32_t n = 0;
         if (parse_number<uint32_t>(v, 0, 64, n)) {
           o.handshake_threads = int(n);
           return true;
         }
         why = "--handshake-threads " + v + ": expected a number 0..64";
         return false;
       }},
      {"--mtu",
       [&](const std::string& v) {
         // 1280 is IPv6's minimum; 65535 the largest IP packet.
         if (parse_number<uint32_t>(v, 576, 65535, o.mtu)) return true;
         why = "--mtu " + v + ": expected a number 576..65535";
         return false;
       }},
      {"--log-level",
       [&](const std::string& v) {
         if (auto l = parse_log_level(v)) {
           o.log_level = *l;
           return true;
         }
         why = "--log-level " + v + ": expected error, warning, info or debug";
         return false;
       }},
      {"--test-time-scale",
       [&](const std::string& v) {
         if (parse_number<uint32_t>(v, 1, kMaxTestTimeScale, o.test_time_scale)) return true;
         why = "--test-time-scale " + v + ": expected a number 1.." +
               std::to_string(kMaxTestTimeScale);
         return false;
       }},
  };

  std::vector<std::string> positional;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.empty() || a[0] != '-' || a == "-") {
      positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      r.action = ParseResult::Action::kHelp;
      return r;
    }
    if (a == "--version") {
      r.action = ParseResult::Action::kVersion;
      return r;
    }
    if (a == "-f" || a == "--foreground") continue;
    if (a == "--no-addresses") {
      o.assign_addresses = false;
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos && a.starts_with("--")) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    auto it = valued.find(name);
    if (it == valued.end()) return fail("unknown option " + name);
    if (!inline_value) {
      if (i + 1 >= args.size()) return fail(name + " needs a value");
      value = args[++i];
    }
    if (value.empty()) return fail(name + " needs a non-empty value");
    if (!it->second(value)) return fail(why);
  }

  if (positional.empty()) return fail("missing the interface name (IFACE)");
  if (positional.size() > 1) return fail("unexpected argument \"" + positional[1] + "\"");
  o.iface = positional[0];
  if (!valid_iface(o.iface, why)) return fail(why);
  if (o.private_key_path.empty()) return fail("missing --private-key FILE (make one with: wg genkey)");
  if (o.control_key_path.empty())
    return fail("missing --control-key FILE (the KEY.pub that aclc keygen wrote)");
  if (!o.bundle_path.empty() && !o.control_url.empty())
    return fail("--bundle and --control exclude each other: give one");
  if (o.bundle_path.empty() && o.control_url.empty())
    return fail("missing --bundle FILE (compile one with: aclc compile --format bundle) or --control URL");
  if (o.control_url.empty() && (!o.auth_key_path.empty() || !o.endpoints.empty() ||
                                !o.hostname.empty() || !o.control_ca.empty()))
    return fail("--auth-key-file, --hostname, --endpoint and --control-ca need --control URL");
  if (o.state_dir.empty()) o.state_dir = "/var/lib/meshd/" + o.iface;
  r.action = ParseResult::Action::kRun;
  return r;
}

}  // namespace aclc::meshd
