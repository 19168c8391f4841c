#include "runtime/meshd/handshake_workers.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "runtime/meshd/signal_free_thread.h"

namespace aclc::meshd {

size_t default_handshake_workers() {
  const unsigned cpus = std::thread::hardware_concurrency();
  return std::clamp<size_t>(cpus == 0 ? 1 : cpus, 1, 8);
}

std::unique_ptr<HandshakeWorkers> HandshakeWorkers::start(size_t threads, std::string& error) {
  std::unique_ptr<HandshakeWorkers> w(new HandshakeWorkers());
  w->event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->event_fd_ < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    return nullptr;
  }
  const size_t count = std::max<size_t>(threads, 1);
  w->threads_.reserve(count);  // no allocation between a thread's start and its keeping
  try {
    for (size_t i = 0; i < count; ++i)
      w->threads_.push_back(start_signal_free_thread([raw = w.get()] { raw->work(); }));
  } catch (const std::system_error& e) {
    error = std::string("starting handshake threads: ") + e.what();
    return nullptr;  // the destructor joins those that started
  }
  return w;
}

HandshakeWorkers::~HandshakeWorkers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
  if (event_fd_ >= 0) ::close(event_fd_);
}

void HandshakeWorkers::submit(runtime::InitiationJob job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void HandshakeWorkers::take(std::vector<runtime::InitiationResult>& out) {
  out.clear();
  uint64_t count;
  while (::read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::lock_guard lock(mutex_);
  out.swap(done_);
}

void HandshakeWorkers::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    runtime::InitiationJob job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    runtime::InitiationResult result = runtime::run_initiation_job(job, wg::system_random);
    lock.lock();
    // Wake the loop once per batch: only when the first result lands.
    const bool first = done_.empty();
    done_.push_back(std::move(result));
    if (first) {
      const uint64_t one = 1;
      while (::write(event_fd_, &one, sizeof one) < 0 && errno == EINTR) {
      }
    }
  }
}

}  // namespace aclc::meshd
