// meshd's handshake offload (runtime/device/handshake_offload.h): threads
// that do the responder's four DHs per initiation, so that a handshake
// flood uses every core while the event loop keeps to the cheap checks,
// the data path and committing the results. The loop watches notify_fd()
// and hands take()'s results to Device::complete_initiations().
//
// The threads block every signal (signals reach the loop's signalfd) and
// touch nothing but the jobs: identities and peer-key sets they hold are
// immutable and shared, results carry their own secrets (wiped when freed).
#ifndef ACLC_RUNTIME_MESHD_HANDSHAKE_WORKERS_H_
#define ACLC_RUNTIME_MESHD_HANDSHAKE_WORKERS_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/device/handshake_offload.h"

namespace aclc::meshd {

class HandshakeWorkers : public runtime::HandshakeOffload {
 public:
  // `threads` >= 1. nullptr with `error` if a thread or the eventfd cannot
  // be created.
  static std::unique_ptr<HandshakeWorkers> start(size_t threads, std::string& error);
  // Stops the threads (jobs not yet started are dropped) and joins them.
  ~HandshakeWorkers() override;
  HandshakeWorkers(const HandshakeWorkers&) = delete;
  HandshakeWorkers& operator=(const HandshakeWorkers&) = delete;

  void submit(runtime::InitiationJob job) override;
  // Readable while results wait for take().
  int notify_fd() const { return event_fd_; }
  // Moves every finished result into `out` (cleared first).
  void take(std::vector<runtime::InitiationResult>& out);
  size_t threads() const { return threads_.size(); }

 private:
  HandshakeWorkers() = default;
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<runtime::InitiationJob> jobs_;
  std::vector<runtime::InitiationResult> done_;
  bool stopping_ = false;
  int event_fd_ = -1;
  std::vector<std::thread> threads_;
};

// The default number of threads: one per CPU, at most 8.
size_t default_handshake_workers();

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_HANDSHAKE_WORKERS_H_
