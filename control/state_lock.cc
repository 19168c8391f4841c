#include "control/state_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aclc::control {

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);
}

bool StateLock::acquire(const std::string& dir, std::string& error) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    error = "cannot create state directory " + dir + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = "state directory " + dir + " is not a directory";
    return false;
  }
  std::string path = dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    error = e == EWOULDBLOCK
                ? "state directory " + dir + " is in use by another aclc process (aclc serve?)"
                : "cannot lock " + path + ": " + std::strerror(e);
    return false;
  }
  fd_ = fd;
  return true;
}

}  // namespace aclc::control
