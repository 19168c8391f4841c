// meshd: one node of an aclc mesh (see `meshd --help` and docs/meshd.md).
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <optional>
#include <cstdio>
#include <cstring>
#include <memory>

#include "runtime/device/device.h"
#include "runtime/device/packet_policy.h"
#include "runtime/filter/decision_log.h"
#include "runtime/filter/enforcer.h"
#include "runtime/io/tun.h"
#include "runtime/io/udp.h"
#include "runtime/meshd/bundle_apply.h"
#include "runtime/meshd/bundle_store.h"
#include "runtime/meshd/clock.h"
#include "runtime/meshd/config_target.h"
#include "runtime/meshd/control_client.h"
#include "runtime/meshd/event_loop.h"
#include "runtime/meshd/handshake_workers.h"
#include "runtime/meshd/interface_addresses.h"
#include "runtime/meshd/io_output.h"
#include "runtime/meshd/keys.h"
#include "runtime/meshd/log.h"
#include "runtime/meshd/options.h"
#include "runtime/uapi/server.h"

#ifndef ACLC_VERSION
#define ACLC_VERSION "unknown"
#endif

namespace {

using namespace aclc;
using namespace aclc::meshd;

constexpr int kRuntimeFailure = 1;
constexpr int kUsage = 2;

int fail(const std::string& message) {
  log_error(message);
  return kRuntimeFailure;
}

// The name to register with: --hostname, else --device-name, else the
// host's name in lower case (aclc serve takes DNS labels).
std::string registration_hostname(const Options& o) {
  if (!o.hostname.empty()) return o.hostname;
  if (!o.device_name.empty()) return o.device_name;
  char buf[256] = "";
  ::gethostname(buf, sizeof buf - 1);
  std::string h = buf;
  h = h.substr(0, h.find('.'));
  for (char& c : h) c = char(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

// With --control: what the fetch thread needs. nullopt with `error`.
std::optional<ControlSettings> control_settings(const Options& o, const wg::PrivateKey& private_key,
                                                const std::array<uint8_t, 32>& control_key,
                                                std::string& error) {
  ControlSettings c;
  auto url = parse_control_url(o.control_url, error);
  if (!url) return std::nullopt;
  c.url = *url;
  c.state_dir = o.state_dir;
  c.auth_key_path = o.auth_key_path;
  c.ca_file = o.control_ca;
  c.control_key = control_key;
  c.poll_interval_ms = o.poll_interval_s * 1000;
  if (c.url.kind == ControlUrl::Kind::kServer) {
    c.registration.hostname = registration_hostname(o);
    c.registration.endpoints = o.endpoints;
    wg::PublicKey pub = wg::public_key_of(private_key);
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, pub.data(), pub.size(), sodium_base64_VARIANT_ORIGINAL);
    c.registration.wireguard_public_key = b64;
    // Registration happens once; without a node key it needs the auth key.
    if (::access(node_key_path(o.state_dir).c_str(), F_OK) != 0) {
      if (o.auth_key_path.empty()) {
        error = "--control " + o.control_url + ": this node is not registered yet (no " +
                node_key_path(o.state_dir) + "): give --auth-key-file FILE with a pre-auth key";
        return std::nullopt;
      }
      auto auth = read_key_file(o.auth_key_path, error);  // readable now, not at the first retry
      if (!auth) {
        error = "--auth-key-file: " + error;
        return std::nullopt;
      }
      wipe_string(*auth);
    }
  }
  return c;
}

int run(const Options& o) {
  set_log_level(o.log_level);
  set_log_interface(o.iface);
  if (o.test_time_scale != 1)
    log_warning("--test-time-scale " + std::to_string(o.test_time_scale) +
                ": protocol timers run that much faster (TEST ONLY)");

  // Keys first: nothing is created until every input is good.
  std::string error, warning;
  auto private_key = read_private_key_file(o.private_key_path, error, warning);
  if (!private_key) return fail("private key: " + error);
  if (!warning.empty()) log_warning(warning);
  auto control_key = read_control_key_file(o.control_key_path, error);
  if (!control_key) return fail("control key: " + error);

  BundleStore::Settings settings;
  settings.control_key = *control_key;
  settings.bundle_path = o.bundle_path;
  settings.device_name = o.device_name;
  std::optional<ControlSettings> control;
  if (!o.control_url.empty()) {
    control = control_settings(o, *private_key, *control_key, error);
    if (!control) return fail(error);
    // Bundles must be for the name this node registers as.
    if (settings.device_name.empty()) settings.device_name = control->registration.hostname;
  }
  BundleStore store(settings, StateDir(o.state_dir), unix_seconds);
  if (!store.open(error)) return fail(error);

  // The decision log's sink.
  int decision_fd = -1;
  if (o.decision_log == "-") {
    decision_fd = STDERR_FILENO;
  } else if (!o.decision_log.empty()) {
    decision_fd = ::open(o.decision_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (decision_fd < 0)
      return fail("--log-decisions " + o.decision_log + ": " + std::strerror(errno));
  }
  runtime::filter::DecisionLogConfig log_config;
  log_config.fd = decision_fd;
  runtime::filter::DecisionLog decision_log(log_config);
  runtime::filter::EnforcerConfig enforcer_config;
  if (decision_fd >= 0) enforcer_config.log = &decision_log;
  runtime::filter::Enforcer enforcer(enforcer_config);  // nothing installed: fail closed
#ifdef ACLC_MESHD_BENCH_UNFILTERED
  // Exists only for bench/bench_meshd.sh's filter A/B (the target
  // meshd-unfiltered, never installed): the same daemon, the enforcer still
  // fed its bundles, but the device asks a policy that admits everything,
  // so the difference between the two binaries is the filter's cost.
  struct AdmitAll final : runtime::PacketPolicy {
    bool admit_inbound(std::span<const uint8_t>, wg::Instant) override { return true; }
    bool admit_outbound(std::span<const uint8_t>, wg::Instant) override { return true; }
  } admit_all;
  runtime::PacketPolicy& packet_policy = admit_all;
  log_warning("benchmark build: the packet filter is bypassed, everything is admitted");
#else
  runtime::PacketPolicy& packet_policy = enforcer;
#endif

  // The interface and the socket.
  runtime::io::TunOptions tun_options;
  tun_options.name = o.iface;
  tun_options.mtu = o.mtu;
  auto tun = runtime::io::Tun::open(tun_options, &error);
  if (!tun) return fail("creating the TUN interface " + o.iface + ": " + error);
  UdpSlot udp;
  udp.options.port = o.listen_port;
  int udp_errno = 0;
  udp.socket = runtime::io::UdpSocket::open(udp.options, &error, &udp_errno);
  if (!udp.socket) return fail("UDP port " + std::to_string(o.listen_port) + ": " + error);
  udp.options.port = udp.socket->port();

  ProtocolClock clock(o.test_time_scale);
  IoOutput output(udp, *tun);
  runtime::DeviceOptions device_options;
  device_options.mtu = o.mtu;
  runtime::Device device(output, packet_policy, wg::system_random, runtime::system_wall_clock,
                         device_options);
  runtime::DeviceConfig initial;
  initial.private_key = *private_key;
  initial.listen_port = udp.socket->port();
  if (int rc = device.apply(initial); rc != 0)
    return fail("the device refused the private key (errno " + std::to_string(-rc) + ")");
  private_key->wipe();
  initial.private_key->wipe();

  InterfaceAddresses addresses(tun->name());
  ApplyTargets targets{device,
                       [&](std::shared_ptr<const bundle::Bundle> b) { enforcer.install(std::move(b)); },
                       nullptr};
  if (o.assign_addresses)
    targets.configure_interface = [&](const bundle::Bundle& b) { return addresses.configure(b); };
  BundleApplier applier(targets);

  std::unique_ptr<HandshakeWorkers> handshake_workers;
  const size_t handshake_threads =
      o.handshake_threads < 0 ? default_handshake_workers() : size_t(o.handshake_threads);
  if (handshake_threads > 0) {
    handshake_workers = HandshakeWorkers::start(handshake_threads, error);
    if (!handshake_workers) return fail(error);
  }
  auto loop = EventLoop::create(
      LoopParts{device, *tun, udp, nullptr, store, applier, clock, handshake_workers.get()}, error);
  if (!loop) return fail(error);
  loop->handle_load(store.load_at_start());

  DaemonConfigTarget config_target(device, udp);
  runtime::uapi::ServerOptions uapi_options;
  uapi_options.interface = o.iface;
  uapi_options.directory = o.uapi_dir;
  uapi_options.log = [](std::string_view line) { log_info("uapi: " + std::string(line)); };
  int uapi_errno = 0;
  std::string uapi_message;
  auto uapi = runtime::uapi::Server::open(uapi_options, config_target, &uapi_errno, &uapi_message);
  if (!uapi) return fail("UAPI socket: " + uapi_message);
  if (!loop->attach_uapi(uapi.get(), error)) return fail(error);

  std::unique_ptr<ControlClient> fetcher;
  if (control) {
    fetcher = ControlClient::start(*control, error);
    if (!fetcher || !loop->attach_control(fetcher.get(), error)) return fail("--control: " + error);
    log_info("fetching bundles from " + control->url.url +
             (control->url.kind == ControlUrl::Kind::kServer ? " (long-poll)" : " (polling)"));
  }

  log_info("up: interface " + tun->name() + ", UDP port " + std::to_string(udp.socket->port()) +
           ", MTU " + std::to_string(o.mtu) + (tun->vnet_hdr() ? ", TSO offload" : "") +
           ", UAPI " + uapi->path() + (store.current() ? "" : "; FAIL CLOSED: no bundle in force"));

  int status = loop->run();
  // Orderly teardown: the fetcher stops, the UAPI socket goes so `wg`
  // stops listing us, then the TUN (and with it the interface) closes.
  fetcher.reset();
  uapi.reset();
  loop.reset();
  tun.reset();
  if (decision_fd > STDERR_FILENO) ::close(decision_fd);
  log_info(status == 0 ? "stopped" : "stopped after an error");
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  ParseResult parsed = parse_options(args);
  switch (parsed.action) {
    case ParseResult::Action::kHelp:
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    case ParseResult::Action::kVersion:
      std::printf("meshd (aclc) %s\n", ACLC_VERSION);
      return 0;
    case ParseResult::Action::kUsageError:
      std::fprintf(stderr, "meshd: %s\nTry 'meshd --help'.\n", parsed.error.c_str());
      return kUsage;
    case ParseResult::Action::kRun:
      break;
  }
  return run(parsed.options);
}
