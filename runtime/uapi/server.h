// WireGuard's cross-platform UAPI socket (wireguard.com/xplatform): the
// stream UNIX socket DIR/IFACE.sock through which `wg show`, `wg set` and
// `wg showconf` configure a userspace implementation. Each connection runs
// a uapi::Session (session.h) over the daemon's ConfigTarget.
//
// Made for a single-threaded event loop: nothing here blocks. The server
// keeps its listening socket and its connections in an epoll set of its
// own, so the daemon watches exactly one fd:
//
//   epoll_ctl(loop, EPOLL_CTL_ADD, server->fd(), {EPOLLIN, ...});
//   ... when it is readable, or at next_deadline(): server->process(now);
//
// Limits: at most max_connections at once (further ones are accepted and
// closed at once), per-connection memory bounded (a 4 KiB read buffer, one
// line, one pending reply, and a set request within protocol.h's limits),
// a connection idle for idle_timeout is closed.
//
// Socket file life cycle, as wireguard-go's ipc/uapi_unix.go: DIR is
// created 0755 if missing; the socket is bound under umask 077 (mode 0700,
// root only). An existing socket whose connect() is refused (its daemon is
// gone) is replaced; one that accepts (a live daemon) makes open() fail
// with -EADDRINUSE; a non-socket file there fails with -EEXIST. The
// destructor unlinks the socket only if the path still names the socket
// this server bound. The socket is bound under a private name and renamed
// into place, so its name never refuses connections (`wg` would unlink it).
// Removing or replacing the socket file is a request to stop, as for
// wireguard-go: process() then sets socket_removed().
#ifndef ACLC_RUNTIME_UAPI_SERVER_H_
#define ACLC_RUNTIME_UAPI_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "runtime/device/config.h"
#include "runtime/wg/limits.h"

namespace aclc::runtime::uapi {

struct ServerOptions {
  std::string interface;                         // IFACE: a Linux interface name (1-15 bytes,
                                                 // no "/", ":" or space; not "." or "..")
  std::string directory = "/var/run/wireguard";  // where `wg` looks
  wg::Duration idle_timeout = std::chrono::seconds(30);
  size_t max_connections = 32;
  // One line per notable event (a refused request, a failed set with its
  // reason, a connection refused over the limit). Never carries key
  // material. May be empty.
  std::function<void(std::string_view)> log;
};

class Server {
 public:
  // Binds and listens. On failure returns nullptr, sets *error to a
  // negative errno and *message to a one-line explanation naming the path.
  static std::unique_ptr<Server> open(ServerOptions options, ConfigTarget& target,
                                      int* error, std::string* message);
  ~Server();  // closes every connection and the socket; removes the socket file
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The one fd the daemon polls for EPOLLIN (an epoll fd: readable while a
  // connection is waiting to be accepted, read or written).
  int fd() const { return epoll_fd_; }
  // The listening socket (inside fd()'s set; for diagnostics only).
  int listen_fd() const { return listen_fd_; }

  // Does the work that is ready without blocking: accepts, reads, runs
  // requests against the target, writes replies, closes finished and idle
  // connections. `now` is the daemon's monotonic clock.
  void process(wg::Instant now);

  // The earliest idle deadline of an open connection: call process() then
  // even if fd() stays quiet. nullopt with no connection open.
  std::optional<wg::Instant> next_deadline() const;

  const std::string& path() const { return path_; }
  // The socket file was removed or replaced since open(): the daemon should
  // shut down (nobody can reach it through `wg` any more).
  bool socket_removed() const { return socket_removed_; }
  size_t connection_count() const { return connections_.size(); }

 private:
  struct Connection;
  Server(ServerOptions options, ConfigTarget& target);
  void accept_ready(wg::Instant now);
  // Runs one connection as far as it can go; false when it must be closed.
  bool service(Connection& c, wg::Instant now);
  void watch(Connection& c, uint32_t events);
  void close_connection(uint64_t id);
  void log(std::string_view line) const;
  void check_socket_file();

  ServerOptions options_;
  ConfigTarget& target_;
  std::string path_;
  int epoll_fd_ = -1;
  int listen_fd_ = -1;
  int inotify_fd_ = -1;
  bool socket_removed_ = false;
  dev_t socket_dev_ = 0;  // identity of the socket file we bound, so that
  ino_t socket_ino_ = 0;  // shutdown never removes a successor's socket
  uint64_t next_id_ = 1;  // epoll data: connection ids, never reused
  std::map<uint64_t, std::unique_ptr<Connection>> connections_;
};

}  // namespace aclc::runtime::uapi

#endif  // ACLC_RUNTIME_UAPI_SERVER_H_
