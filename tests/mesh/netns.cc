#include "tests/mesh/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "tests/mesh/cleanup.h"
#include "tests/mesh/error.h"
#include "tests/mesh/process.h"

namespace mesh {

void throw_errno(const std::string& what) { throw Error(what + ": " + std::strerror(errno)); }

const std::string& run_prefix() {
  static const std::string prefix = "mesht" + std::to_string(getpid()) + "-";
  return prefix;
}

void remove_stale_namespaces() {
  CommandResult r = run("ip netns list");
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    std::string ns = line.substr(0, line.find(' '));
    if (ns.rfind("mesht", 0) != 0) continue;
    int pid = std::atoi(ns.c_str() + 5);
    if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) run("ip netns del " + quote(ns));
  }
}

Netns::Netns(const std::string& name) : name_(run_prefix() + name) {
  must("ip netns add " + quote(name_));
  std::string n = name_;
  cleanup_id_ = on_cleanup([n] { run("ip netns del " + quote(n)); });
  must("ip -n " + quote(name_) + " link set lo up");
}

Netns::~Netns() {
  cancel_cleanup(cleanup_id_);
  run("ip netns del " + quote(name_));
}

InNetns::InNetns(const Netns& ns) {
  home_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home_ < 0) throw_errno("open /proc/thread-self/ns/net");
  int fd = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    close(home_);
    throw_errno("open namespace " + ns.name());
  }
  int rc = setns(fd, CLONE_NEWNET);
  int e = errno;
  close(fd);
  if (rc != 0) {
    close(home_);
    errno = e;
    throw_errno("setns " + ns.name());
  }
}

InNetns::~InNetns() {
  if (setns(home_, CLONE_NEWNET) != 0) std::abort();  // a thread in the wrong namespace would corrupt every later step
  close(home_);
}

int socket_in(const Netns& ns, int domain, int type, int protocol) {
  InNetns in(ns);
  int s = socket(domain, type | SOCK_CLOEXEC, protocol);
  if (s < 0) throw_errno("socket in " + ns.name());
  return s;
}

}  // namespace mesh
