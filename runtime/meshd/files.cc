#include "runtime/meshd/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace aclc::meshd {
namespace {

std::string errno_text(const std::string& path) { return path + ": " + std::strerror(errno); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

}  // namespace

std::optional<std::vector<uint8_t>> read_file_bounded(const std::string& path, size_t max_bytes,
                                                      std::string& error) {
  // O_NONBLOCK: opening a FIFO planted at the path must not hang the daemon.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    error = errno_text(path);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = errno_text(path);
    return std::nullopt;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    return std::nullopt;
  }
  if (uint64_t(st.st_size) > max_bytes) {
    error = path + ": larger than " + std::to_string(max_bytes) + " bytes";
    return std::nullopt;
  }
  std::vector<uint8_t> data(size_t(st.st_size));
  size_t got = 0;
  // The file may change under us: read to EOF, never past the bound.
  for (;;) {
    if (got == data.size()) {
      if (data.size() >= max_bytes) {
        uint8_t probe;
        ssize_t n = ::read(fd.get(), &probe, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0) break;
        error = n < 0 ? errno_text(path) : path + ": larger than " + std::to_string(max_bytes) + " bytes";
        return std::nullopt;
      }
      data.resize(std::min(max_bytes, data.size() + 4096));
    }
    ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = errno_text(path);
      return std::nullopt;
    }
    if (n == 0) break;
    got += size_t(n);
  }
  data.resize(got);
  return data;
}

bool write_file_atomic(const std::string& path, const std::vector<uint8_t>& data,
                       std::string& error) {
  std::string dir = ".";
  if (auto slash = path.rfind('/'); slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string tmp = path + ".tmp-XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));  // mode 0600
  if (fd.get() < 0) {
    error = errno_text(tmp);
    return false;
  }
  bool ok = write_all(fd.get(), data.data(), data.size()) && ::fsync(fd.get()) == 0;
  int saved = errno;
  if (::close(fd.release()) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved;
    error = errno_text(path);
    return false;
  }
  // The rename is durable only once the directory entry is.
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return true;
}

bool make_directories(const std::string& path, std::string& error) {
  if (path.empty()) {
    error = "empty directory name";
    return false;
  }
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      error = errno_text(prefix);
      return false;
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    error = path + ": not a directory";
    return false;
  }
  return true;
}

}  // namespace aclc::meshd
