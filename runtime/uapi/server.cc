#include "runtime/uapi/server.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>  // renameat2
#include <cstring>

#include "runtime/uapi/session.h"

namespace aclc::runtime::uapi {

namespace {

constexpr size_t kReadChunk = 4096;
constexpr int kAcceptsPerProcess = 16;  // the rest wait for the next turn (level-triggered)
constexpr int kEventsPerProcess = 64;
constexpr int kReadsPerService = 16;
constexpr uint64_t kWatchId = UINT64_MAX;  // epoll data of the inotify fd (connection ids start at 1)    // per connection per process(): one client cannot hog the loop

std::string errno_text(int error) { return std::strerror(error); }

// Linux's dev_valid_name(): what an interface can be called.
bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name)
    if (c == '/' || c == ':' || c == '\0' || c == ' ' || (c >= '\t' && c <= '\r')) return false;
  return true;
}

// mkdir -p, each directory it creates 0755 whatever the umask.
int make_directories(const std::string& path) {
  for (size_t slash = 1; slash <= path.size(); ++slash) {
    if (slash < path.size() && path[slash] != '/') continue;
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      if (::chmod(prefix.c_str(), 0755) != 0) return -errno;
    } else if (errno != EEXIST) {
      return -errno;
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -errno;
  return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

// Whether a daemon still answers on the socket at `address`: connect()
// from a non-blocking socket, so that a live listener with a full backlog
// (EAGAIN) cannot block us. 0: nobody (ECONNREFUSED); 1: live; < 0: error.
int probe_live(const sockaddr_un& address) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(fd);
  if (rc == 0 || error == EAGAIN || error == EINPROGRESS) return 1;
  if (error == ECONNREFUSED) return 0;
  return -error;
}

}  // namespace

struct Server::Connection {
  Connection(uint64_t id, int fd, ConfigTarget& target, Session::Log log, wg::Instant deadline)
      : id(id), fd(fd), session(target, std::move(log)), deadline(deadline) {}
  ~Connection() {
    sodium_memzero(input.data(), input.size());
    ::close(fd);
  }
  uint64_t id;
  int fd;
  Session session;
  wg::Instant deadline;
  uint32_t watching = EPOLLIN;  // the events registered for fd
  std::array<char, kReadChunk> input{};
  size_t input_begin = 0, input_end = 0;  // bytes read, not yet consumed
};

Server::Server(ServerOptions options, ConfigTarget& target)
    : options_(std::move(options)), target_(target) {}

std::unique_ptr<Server> Server::open(ServerOptions options, ConfigTarget& target, int* error,
                                     std::string* message) {
  auto fail = [&](int code, std::string text) -> std::unique_ptr<Server> {
    *error = code;
    *message = std::move(text);
    return nullptr;
  };
  // For a failed system call: errno, read before anything can change it.
  auto fail_errno = [&](std::string what) {
    const int e = errno;
    return fail(-e, what + ": " + errno_text(e));
  };
  if (!valid_interface_name(options.interface))
    return fail(-EINVAL, "invalid interface name \"" + options.interface + "\"");
  std::string directory = options.directory;
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  if (directory.empty()) return fail(-EINVAL, "empty UAPI socket directory");
  const std::string path = directory + "/" + options.interface + ".sock";
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    return fail(-ENAMETOOLONG, path + ": path too long for a UNIX socket");
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);

  if (const int rc = make_directories(directory); rc != 0)
    return fail(rc, directory + ": cannot create directory: " + errno_text(-rc));

  std::unique_ptr<Server> server(new Server(std::move(options), target));
  server->path_ = path;
  server->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (server->listen_fd_ < 0) return fail_errno("socket");

  // An existing socket is either a live daemon's (refuse) or stale (replace).
  if (struct stat st; ::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail(-EEXIST, path + ": exists and is not a socket");
    const int live = probe_live(address);
    if (live > 0) return fail(-EADDRINUSE, path + ": another daemon is serving this interface");
    if (live < 0) return fail(live, path + ": cannot probe existing socket: " + errno_text(-live));
    // Its daemon is gone (connect refused): remove the stale socket.
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return fail_errno(path + ": cannot remove stale socket");
  } else if (errno != ENOENT) {
    return fail_errno(path);
  }

  // Bind and listen under a private name, then rename into place: the
  // public name never shows a bound socket that is not yet listening. A
  // client connecting in that window gets ECONNREFUSED, and `wg` takes that
  // as a dead daemon and unlinks the socket.
  const std::string staging =
      directory + "/." + options.interface + ".sock." + std::to_string(::getpid());
  sockaddr_un staging_address{};
  staging_address.sun_family = AF_UNIX;
  if (staging.size() >= sizeof staging_address.sun_path)
    return fail(-ENAMETOOLONG, staging + ": path too long for a UNIX socket");
  std::memcpy(staging_address.sun_path, staging.c_str(), staging.size() + 1);
  ::unlink(staging.c_str());  // left by an earlier process with our pid
  {
    // Created under umask 077: only root (the owner) may connect. The
    // daemon is single-threaded, so the process-wide umask is ours briefly.
    const mode_t old_umask = ::umask(077);
    const int rc = ::bind(server->listen_fd_, reinterpret_cast<const sockaddr*>(&staging_address),
                          sizeof staging_address);
    const int bind_errno = errno;
    ::umask(old_umask);
    if (rc != 0) return fail(-bind_errno, staging + ": bind: " + errno_text(bind_errno));
  }
  if (::listen(server->listen_fd_, 64) != 0) {
    const int e = errno;
    ::unlink(staging.c_str());
    return fail(-e, staging + ": listen: " + errno_text(e));
  }
  struct stat st;
  if (::lstat(staging.c_str(), &st) != 0) {
    const int e = errno;
    ::unlink(staging.c_str());
    return fail(-e, staging + ": " + errno_text(e));
  }
  // No replace: a daemon that started meanwhile keeps its name.
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    const int e = errno;
    ::unlink(staging.c_str());
    if (e == EEXIST) return fail(-EADDRINUSE, path + ": another daemon is serving this interface");
    return fail(-e, path + ": cannot move socket into place: " + errno_text(e));
  }
  // From here the destructor removes the socket file on failure.
  server->socket_dev_ = st.st_dev;
  server->socket_ino_ = st.st_ino;

  server->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (server->epoll_fd_ < 0) return fail_errno("epoll_create1");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;  // id 0: the listening socket
  if (::epoll_ctl(server->epoll_fd_, EPOLL_CTL_ADD, server->listen_fd_, &event) != 0)
    return fail_errno("epoll_ctl");
  // Removing the socket file is how a userspace WireGuard is told to stop
  // (wireguard-go's README): watch the file's link count (IN_ATTRIB; the
  // bound socket keeps the inode, so IN_DELETE_SELF may never come).
  server->inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (server->inotify_fd_ < 0) return fail_errno("inotify_init1");
  if (::inotify_add_watch(server->inotify_fd_, path.c_str(), IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF) < 0)
    return fail_errno(path + ": inotify_add_watch");
  event.data.u64 = kWatchId;
  if (::epoll_ctl(server->epoll_fd_, EPOLL_CTL_ADD, server->inotify_fd_, &event) != 0)
    return fail_errno("epoll_ctl");
  return server;
}

Server::~Server() {
  connections_.clear();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  // Remove the socket file only if it is still the one we bound: a
  // successor may already have replaced it.
  struct stat st;
  if (socket_ino_ != 0 && ::lstat(path_.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
      st.st_ino == socket_ino_)
    ::unlink(path_.c_str());
}

void Server::check_socket_file() {
  alignas(inotify_event) char buffer[4096];
  while (::read(inotify_fd_, buffer, sizeof buffer) > 0) {
  }
  struct stat st;
  if (::lstat(path_.c_str(), &st) != 0 || st.st_dev != socket_dev_ || st.st_ino != socket_ino_) {
    if (!socket_removed_) log("the socket file " + path_ + " was removed or replaced");
    socket_removed_ = true;
  }
}

void Server::process(wg::Instant now) {
  epoll_event events[kEventsPerProcess];
  const int n = ::epoll_wait(epoll_fd_, events, kEventsPerProcess, 0);
  for (int k = 0; k < n; ++k) {
    const uint64_t id = events[k].data.u64;
    if (id == 0) {
      accept_ready(now);
      continue;
    }
    if (id == kWatchId) {
      check_socket_file();
      continue;
    }
    const auto it = connections_.find(id);
    if (it == connections_.end()) continue;  // closed earlier in this batch
    if (!service(*it->second, now)) close_connection(id);
  }
  // Idle connections: nothing read or written for idle_timeout.
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->second->deadline <= now) {
      log("closing idle UAPI connection");
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void Server::accept_ready(wg::Instant now) {
  for (int k = 0; k < kAcceptsPerProcess; ++k) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int e = errno;
      if (e != EAGAIN && e != EWOULDBLOCK && e != EINTR && e != ECONNABORTED)
        log("accept: " + errno_text(e));
      return;
    }
    if (connections_.size() >= options_.max_connections) {
      log("refusing UAPI connection: " + std::to_string(connections_.size()) + " already open");
      ::close(fd);
      continue;
    }
    const uint64_t id = next_id_++;
    auto connection = std::make_unique<Connection>(id, fd, target_, options_.log,
                                                   now + options_.idle_timeout);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      log("epoll_ctl: " + errno_text(errno));
      continue;  // the connection's destructor closes fd
    }
    connections_.emplace(id, std::move(connection));
  }
}

// Alternates between sending the pending reply and feeding the session
// what was read, until the socket would block (then waits for the right
// event) or the connection is done. Input is read only while no reply is
// pending, so a client that does not read its replies stalls only itself.
bool Server::service(Connection& c, wg::Instant now) {
  int reads = 0;
  while (true) {
    const std::string_view out = c.session.output();
    if (!out.empty()) {
      const ssize_t n = ::send(c.fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          watch(c, EPOLLOUT);
          return true;
        }
        if (errno == EINTR) continue;
        return false;  // EPIPE, ECONNRESET: the client is gone
      }
      c.session.sent(static_cast<size_t>(n));
      c.deadline = now + options_.idle_timeout;
      continue;
    }
    if (c.session.finished()) return false;
    if (c.input_begin < c.input_end) {
      const std::string_view pending(c.input.data() + c.input_begin, c.input_end - c.input_begin);
      c.input_begin += c.session.receive(pending);
      if (c.input_begin == c.input_end) {
        sodium_memzero(c.input.data(), c.input_end);
        c.input_begin = c.input_end = 0;
      }
      continue;
    }
    // Stop only with the read buffer empty: what is left in the socket
    // keeps fd() readable (level-triggered), so nothing is stranded.
    if (++reads > kReadsPerService) {
      watch(c, EPOLLIN);
      return true;
    }
    const ssize_t n = ::recv(c.fd, c.input.data(), c.input.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        watch(c, EPOLLIN);
        return true;
      }
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return false;  // the client closed: an unfinished request is dropped
    c.input_begin = 0;
    c.input_end = static_cast<size_t>(n);
    c.deadline = now + options_.idle_timeout;
  }
}

void Server::watch(Connection& c, uint32_t events) {
  if (c.watching == events) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = c.id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &event) == 0) c.watching = events;
}

void Server::close_connection(uint64_t id) { connections_.erase(id); }

std::optional<wg::Instant> Server::next_deadline() const {
  std::optional<wg::Instant> earliest;
  for (const auto& [id, c] : connections_)
    if (!earliest || c->deadline < *earliest) earliest = c->deadline;
  return earliest;
}

void Server::log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

}  // namespace aclc::runtime::uapi
