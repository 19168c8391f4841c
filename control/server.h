// The control server's HTTP API (cpp-httplib; TLS when a certificate is
// given), over a ControlPlane. docs/control.md is the reference. The
// policy endpoints are Tailscale's (GET/POST /api/v2/tailnet/{t}/acl with
// ETag and If-Match, HuJSON or JSON per Accept, ?details=1; POST
// .../acl/validate with a candidate policy or an array of tests), so
// Tailscale's clients (gitops-pusher) and `aclc deploy` work against either. Every error is
// {"message": ...} with a 4xx/5xx status; failed authentications are
// logged to stderr.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "control/control_plane.h"

namespace aclc::control {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                // 0: any free port (see bind())
  std::string tls_cert, tls_key;  // both or neither
  std::string tailnet = "-";      // the name {tailnet} may take besides "-"
  size_t max_body = 1 << 20;      // bytes; larger requests get 413
  unsigned max_wait = 60;         // seconds a bundle long-poll may last
  unsigned threads = 64;          // concurrent requests (long-polls hold one)
  // Pending connections the kernel queues before accept (capped by
  // net.core.somaxconn). cpp-httplib 0.11 as Debian builds it listens with
  // 5, too few for a fleet of polling nodes that reconnect at once.
  int listen_backlog = 4096;
};

class Server {
 public:
  Server(ControlPlane& plane, ServerOptions o);
  ~Server();

  // Binds the listening socket; returns the port, or -1 with `error`.
  int bind(std::string& error);
  // Serves until stop(). False if the server failed.
  bool run();
  // From any thread (a signal handler thread): ends run() and wakes every
  // long-poll.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aclc::control
