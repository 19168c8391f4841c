// meshd's bundle fetcher for `--control URL` (control_url.h): a thread of
// its own that registers once (aclc serve) and then long-polls for the
// node's signed bundle, or polls a static bundle file with If-None-Match.
//
// Why a thread and not curl's multi interface on the event loop: the
// loop's turns carry packets, and TLS handshakes, DNS and HTTP parsing
// would sit in their latency; a thread also keeps every libcurl callback
// out of the single-threaded runtime. The thread does no trust decision:
// it hands the fetched bytes to the loop (notify_fd() becomes readable, an
// eventfd) and the loop offers them to BundleStore, which verifies
// signature, device, serial and expiry as for a bundle file. So a tampered
// or older bundle is rejected and the last good one stays in force, and a
// server that is down changes nothing but the log: the thread retries with
// backoff (backoff.h).
#ifndef ACLC_RUNTIME_MESHD_CONTROL_CLIENT_H_
#define ACLC_RUNTIME_MESHD_CONTROL_CLIENT_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/meshd/backoff.h"
#include "runtime/meshd/control_url.h"
#include "runtime/meshd/http_session.h"
#include "runtime/meshd/node_registration.h"

namespace aclc::meshd {

struct ControlSettings {
  ControlUrl url;
  std::string state_dir;       // node.key lives here
  std::string auth_key_path;   // pre-auth key; needed until registered
  RegistrationRequest registration;  // hostname, WireGuard key, endpoints
  std::string ca_file;         // TLS trust anchor; "" the system's
  std::array<uint8_t, 32> control_key{};  // to compare with what the server reports
  unsigned long_poll_seconds = 30;   // aclc serve holds a poll this long
  unsigned poll_interval_ms = 30'000;  // static bundle files
  int64_t retry_initial_ms = 1000;
  int64_t retry_max_ms = 60'000;
};

struct FetchedBundle {
  std::vector<uint8_t> bytes;
  std::string source;  // for the log: the URL and its ETag
};

class ControlClient {
 public:
  // Starts the fetch thread (with every signal blocked in it, so the
  // loop's signalfd sees them). nullptr with `error` if it cannot.
  static std::unique_ptr<ControlClient> start(ControlSettings settings, std::string& error);
  // Stops and joins the thread promptly, even mid long-poll.
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Readable when a bundle is waiting in take().
  int notify_fd() const { return event_fd_; }
  // The newest fetched bundle not yet taken (an older one not taken in
  // time is dropped: only the newest can matter). Drains notify_fd().
  std::optional<FetchedBundle> take();
  // Ends the poll in progress and fetches now, unconditionally (SIGHUP).
  void poll_now();

  // Counters for tests and the benchmark.
  uint64_t bundles_fetched() const { return fetched_; }
  uint64_t failures() const { return failures_; }

 private:
  explicit ControlClient(ControlSettings settings);
  void run();
  bool ensure_registered();  // false: stopping
  // One fetch round; returns how long to wait before the next.
  int64_t fetch_once();
  void hand_off(std::vector<uint8_t> bytes, const std::string& etag);
  int64_t retry(const std::string& what, bool permanent);

  ControlSettings s_;
  HttpSession http_;
  Backoff backoff_;
  std::string node_key_;   // wiped on destruction
  std::string etag_;       // of the last bundle received
  int event_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> refetch_{false};
  std::atomic<uint64_t> fetched_{0}, failures_{0};
  bool failing_ = false;   // the previous round failed: log recovery once
  std::optional<std::array<uint8_t, 32>> last_digest_;  // SHA-256 of the last bytes handed off
  std::mutex mu_;
  std::optional<FetchedBundle> pending_;
  std::thread thread_;
};

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_CONTROL_CLIENT_H_
