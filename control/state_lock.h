// One process at a time owns a state directory: `aclc serve` holds an
// exclusive flock on DIR/lock for its whole life, and the offline commands
// (create-api-key, rollback) take it too, so they never edit state a
// running server holds in memory. The lock dies with the process, so a
// crash never leaves it stale.
#pragma once

#include <string>

namespace aclc::control {

class StateLock {
 public:
  StateLock() = default;
  ~StateLock();
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  // Creates DIR (mode 0700) if needed and takes the lock without waiting.
  // False and `error` if another process holds it or DIR is unusable.
  bool acquire(const std::string& dir, std::string& error);

 private:
  int fd_ = -1;
};

}  // namespace aclc::control
