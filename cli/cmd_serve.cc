// aclc serve: the control server (control/server.h): the policy API with
// its history in git, the device registry, and every device's signed
// bundle. docs/control.md is the operator guide.
#include <CLI/CLI.hpp>
#include <signal.h>
#include <sodium.h>

#include <cstdio>
#include <thread>

#include "cli/commands.h"
#include "cli/file_io.h"
#include "cli/output.h"
#include "cli/signing_key.h"
#include "compiler/front/duration.h"
#include "control/control_plane.h"
#include "control/server.h"

namespace aclc::cli {
namespace {

struct ServeOptions {
  std::string state;
  std::string listen = "127.0.0.1:8080";
  std::string tls_cert, tls_key;
  std::string sign_key;
  std::string create_api_key;  // a name: make a key and exit
  std::string tailnet = "-";
  std::string dialect = "aclc";
  std::string ttl = "168h";
  size_t max_body = 1 << 20;
  unsigned threads = 64;
  int listen_backlog = 4096;
  bool no_verify = false;
};

void error(const std::string& msg) { std::fprintf(stderr, "aclc: error: %s\n", msg.c_str()); }

bool split_listen(const std::string& s, std::string& host, int& port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) return false;
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  try {
    size_t used = 0;
    int p = std::stoi(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || p < 0 || p > 65535) return false;
    port = p;
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

int run_serve(const ServeOptions& o) {
  if (!o.create_api_key.empty()) {
    std::string why;
    auto key = control::create_api_key_offline(o.state, o.create_api_key, why);
    if (!key) {
      error(why);
      return kUsageOrIO;
    }
    std::printf("%s\n", key->c_str());
    std::fprintf(stderr,
                 "aclc: API key for \"%s\" created; it is shown only now (only its hash is "
                 "stored in %s)\n",
                 o.create_api_key.c_str(), o.state.c_str());
    sodium_memzero(key->data(), key->size());
    return kPass;
  }
  if (o.sign_key.empty()) {
    error("aclc serve needs --sign-key FILE (make one with: aclc keygen --out FILE)");
    return kUsageOrIO;
  }
  control::ServerOptions so;
  if (!split_listen(o.listen, so.host, so.port)) {
    error("--listen " + o.listen + ": want ADDRESS:PORT (port 0: any free port)");
    return kUsageOrIO;
  }
  std::string ttl_error;
  auto ttl_ns = policy::parse_go_duration(o.ttl, &ttl_error);
  if (!ttl_ns || *ttl_ns < 60'000'000'000) {
    error("--bundle-ttl " + o.ttl + ": " + (ttl_ns ? "must be at least 1m" : ttl_error));
    return kUsageOrIO;
  }
  std::string why;
  auto key = read_signing_key(o.sign_key, why);
  if (!key) {
    error(why);
    return kUsageOrIO;
  }
  // SIGINT/SIGTERM end the server cleanly; block them before any thread
  // starts so that only the waiting thread below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  control::ControlPlane::Options po;
  po.state_dir = o.state;
  po.dialect = *parse_dialect(o.dialect);
  po.bundle_ttl = uint64_t(*ttl_ns / 1'000'000'000);
  po.verify = !o.no_verify;
  auto plane = control::ControlPlane::open(po, std::move(*key), why);
  if (!plane) {
    error(why);
    return kUsageOrIO;
  }
  so.tls_cert = o.tls_cert;
  so.tls_key = o.tls_key;
  so.tailnet = o.tailnet;
  so.max_body = o.max_body;
  so.threads = o.threads;
  so.listen_backlog = o.listen_backlog;
  control::Server server(*plane, so);
  int port = server.bind(why);
  if (port < 0) {
    error(why);
    return kUsageOrIO;
  }
  std::thread waiter([&server, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig == SIGINT || sig == SIGTERM) server.stop();
  });
  bool tls = !o.tls_cert.empty();
  std::fprintf(stderr, "aclc serve: control key %s\n", plane->control_public_key().c_str());
  std::fprintf(stderr, "aclc serve: listening on %s://%s:%d (state %s)\n", tls ? "https" : "http",
               so.host.c_str(), port, o.state.c_str());
  bool ok = server.run();
  // run() also returns on its own failure: wake the signal thread.
  ::kill(::getpid(), SIGTERM);
  waiter.join();
  std::fprintf(stderr, "aclc serve: stopped\n");
  return ok ? kPass : kUsageOrIO;
}

}  // namespace

Runner add_serve_command(CLI::App& app);
const CommandRegistration kRegister82(82, add_serve_command);

Runner add_serve_command(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the control server: Tailscale's policy API (every accepted policy a git commit), "
      "the device registry, and each device's signed bundle (long-poll). See docs/control.md.");
  cmd->add_option("--state", o->state, "State directory (created if missing, mode 0700)")
      ->required();
  cmd->add_option("--listen", o->listen, "ADDRESS:PORT to listen on (default 127.0.0.1:8080)");
  cmd->add_option("--tls-cert", o->tls_cert, "TLS certificate (PEM); serves HTTPS");
  cmd->add_option("--tls-key", o->tls_key, "TLS private key (PEM)");
  cmd->add_option("--sign-key", o->sign_key, "The bundle signing key (aclc keygen)");
  cmd->add_option("--create-api-key", o->create_api_key,
                  "Create an API key for NAME (who uses it; the author of their commits), print "
                  "it once and exit. The server must not be running");
  cmd->add_option("--tailnet", o->tailnet, "The tailnet name the API answers to besides \"-\"");
  cmd->add_option("--dialect", o->dialect, "aclc (default) or tailscale")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->add_option("--bundle-ttl", o->ttl,
                  "Bundle lifetime (Go duration, default 168h); bundles are reissued at half");
  cmd->add_option("--max-body", o->max_body, "Largest request body in bytes (default 1 MiB)")
      ->check(CLI::Range(size_t(1024), size_t(64) << 20));
  cmd->add_option("--threads", o->threads,
                  "Concurrent requests, long-polls included (default 64)")
      ->check(CLI::Range(2u, 4096u));
  cmd->add_option("--listen-backlog", o->listen_backlog,
                  "Connections the kernel queues before the server accepts them (default 4096, "
                  "capped by net.core.somaxconn)")
      ->check(CLI::Range(16, 65535));
  cmd->add_flag("--no-verify", o->no_verify,
                "Skip the proof that each device's table equals the policy");
  cmd->footer("Exit codes: 0 stopped by SIGINT/SIGTERM (or key created), 2 usage or I/O error.");
  return [o]() { return run_serve(*o); };
}

}  // namespace aclc::cli
