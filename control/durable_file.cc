#include "control/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace aclc::control {
namespace {

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string reason() { return std::strerror(errno); }

}  // namespace

bool sync_directory(const std::string& dir, std::string& error) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open directory " + dir + ": " + reason();
    return false;
  }
  bool ok = ::fsync(fd) == 0;
  if (!ok) error = "cannot sync directory " + dir + ": " + reason();
  ::close(fd);
  return ok;
}

bool write_durable(const std::string& path, const std::string& data, std::string& error,
                   unsigned mode) {
  // Unique per write: several server threads may write different files of
  // one directory at once.
  static std::atomic<unsigned long> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    error = "cannot write " + path + ": " + reason();
    return false;
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "cannot write " + path + ": " + reason();
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    off += size_t(n);
  }
  if (::fsync(fd) != 0) {
    error = "cannot write " + path + ": " + reason();
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path + ": " + reason();
    ::unlink(tmp.c_str());
    return false;
  }
  return sync_directory(parent_of(path), error);
}

std::optional<std::string> read_whole(const std::string& path, std::string& error,
                                      bool* missing) {
  if (missing) *missing = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (missing && errno == ENOENT) *missing = true;
    error = "cannot read " + path + ": " + reason();
    return std::nullopt;
  }
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "cannot read " + path + ": " + reason();
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    data.append(buf, size_t(n));
  }
  ::close(fd);
  return data;
}

}  // namespace aclc::control
