#include "runtime/meshd/control_client.h"

#include <signal.h>
#include <sodium.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "compiler/bundle/bundle.h"
#include "runtime/meshd/bundle_limits.h"
#include "runtime/meshd/log.h"
#include "runtime/meshd/signal_free_thread.h"

namespace aclc::meshd {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string seconds_text(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", double(ms) / 1000.0);
  return buf;
}

// A long-poll that returns at once, again and again, would spin: requests
// to aclc serve start at least this far apart.
constexpr int64_t kMinServerSpacingMs = 1000;

}  // namespace

ControlClient::ControlClient(ControlSettings settings)
    : s_(std::move(settings)), backoff_(s_.retry_initial_ms, s_.retry_max_ms, system_uniform) {}

std::unique_ptr<ControlClient> ControlClient::start(ControlSettings settings, std::string& error) {
  std::unique_ptr<ControlClient> c(new ControlClient(std::move(settings)));
  if (!c->http_.ok()) {
    error = "libcurl could not be initialised";
    return nullptr;
  }
  c->event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (c->event_fd_ < 0) {
    error = std::string("eventfd: ") + std::strerror(errno);
    return nullptr;
  }
  try {
    c->thread_ = start_signal_free_thread([p = c.get()] { p->run(); });
  } catch (const std::system_error& e) {
    error = std::string("starting the fetch thread: ") + e.what();
    return nullptr;
  }
  return c;
}

ControlClient::~ControlClient() {
  stop_ = true;
  http_.interrupt();
  if (thread_.joinable()) thread_.join();
  wipe_string(node_key_);
  if (event_fd_ >= 0) ::close(event_fd_);
}

std::optional<FetchedBundle> ControlClient::take() {
  uint64_t count;
  while (::read(event_fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<FetchedBundle> out = std::move(pending_);
  pending_.reset();
  return out;
}

void ControlClient::poll_now() {
  refetch_ = true;
  http_.interrupt();
}

void ControlClient::hand_off(std::vector<uint8_t> bytes, const std::string& etag) {
  FetchedBundle f;
  f.bytes = std::move(bytes);
  f.source = s_.url.url;
  if (!etag.empty()) f.source += " (ETag " + etag + ")";
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_ = std::move(f);
  }
  ++fetched_;
  uint64_t one = 1;
  while (::write(event_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

int64_t ControlClient::retry(const std::string& what, bool permanent) {
  ++failures_;
  failing_ = true;
  // A refusal will not change by asking again soon: wait the longest.
  int64_t delay = permanent ? s_.retry_max_ms : backoff_.next_ms();
  log_warning(what + "; retrying in " + seconds_text(delay) + " (the bundle in force stays in force)");
  return delay;
}

bool ControlClient::ensure_registered() {
  std::string error;
  if (::access(node_key_path(s_.state_dir).c_str(), F_OK) == 0) {
    if (auto key = read_key_file(node_key_path(s_.state_dir), error)) {
      node_key_ = std::move(*key);
      return true;
    }
    log_error("node key: " + error + "; registering again");
  }
  while (!stop_) {
    int64_t wait = 0;
    auto auth = read_key_file(s_.auth_key_path, error);
    if (!auth) {
      log_error("cannot register with " + s_.url.url + ": pre-auth key " + error);
      wait = s_.retry_max_ms;
    } else {
      HttpRequest req;
      req.method = "POST";
      req.url = s_.url.register_url();
      req.headers = {"Authorization: Bearer " + *auth, "Content-Type: application/json"};
      req.body = registration_body(s_.registration);
      req.timeout_ms = 30'000;
      req.max_body = 64 * 1024;
      req.ca_file = s_.ca_file;
      HttpResponse r = http_.perform(req);
      wipe_string(*auth);
      wipe_string(req.headers[0]);
      std::string body(r.body.begin(), r.body.end());
      if (r.interrupted) continue;
      if (r.status == 200) {
        auto answer = parse_registration_answer(body, error);
        sodium_memzero(body.data(), body.size());
        sodium_memzero(r.body.data(), r.body.size());
        if (answer) {
          if (!save_node_key(s_.state_dir, answer->node_key, error))
            log_error("could not keep the node key (" + error +
                      "): after a restart this node must be registered again");
          node_key_ = std::move(answer->node_key);
          std::string ignored;
          auto reported = bundle::public_key_from_text(answer->control_public_key, ignored);
          if (reported && *reported != s_.control_key)
            log_warning("the control server reports a control public key other than --control-key: "
                        "its bundles will be rejected until the two agree");
          log_info("registered with " + s_.url.url + " as " +
                   (answer->hostname.empty() ? s_.registration.hostname : answer->hostname) +
                   "; node key kept in " + node_key_path(s_.state_dir));
          backoff_.reset();
          return true;
        }
        wait = retry("registering with " + s_.url.url + ": " + error, false);
      } else if (r.status == 0) {
        wait = retry("registering with " + s_.url.url + ": " + r.error, false);
      } else {
        bool transient = r.status == 429 || r.status >= 500;
        wait = retry("registering with " + s_.url.url + ": HTTP " + std::to_string(r.status) + ": " +
                         server_message(body),
                     !transient);
      }
    }
    http_.sleep(wait);
  }
  return false;
}

int64_t ControlClient::fetch_once() {
  bool server = s_.url.kind == ControlUrl::Kind::kServer;
  HttpRequest req;
  req.url = server ? s_.url.bundle_url(s_.long_poll_seconds) : s_.url.url;
  req.timeout_ms = server ? int64_t(s_.long_poll_seconds + 15) * 1000 : 30'000;
  req.max_body = kMaxBundleFile;
  req.ca_file = s_.ca_file;
  if (server) req.headers.push_back("Authorization: Bearer " + node_key_);
  if (!etag_.empty()) req.headers.push_back("If-None-Match: " + etag_);
  int64_t started = now_ms();
  HttpResponse r = http_.perform(req);
  if (server) wipe_string(req.headers[0]);
  if (r.interrupted) return 0;

  auto next = [&] {
    if (failing_) log_info("fetching from " + s_.url.url + " works again");
    failing_ = false;
    backoff_.reset();
    if (!server) return int64_t(s_.poll_interval_ms);
    return std::max<int64_t>(0, kMinServerSpacingMs - (now_ms() - started));
  };
  std::string what = "fetching the bundle from " + req.url.substr(0, req.url.find('?'));
  switch (r.status) {
    case 0:
      return retry(what + ": " + r.error, false);
    case 200: {
      etag_ = r.etag;
      // A server without ETags (or one that ignores If-None-Match) sends
      // the same bytes every time: the loop hears only of new ones.
      std::array<uint8_t, crypto_hash_sha256_BYTES> digest;
      crypto_hash_sha256(digest.data(), r.body.data(), r.body.size());
      if (!last_digest_ || *last_digest_ != digest) {
        last_digest_ = digest;
        hand_off(std::move(r.body), r.etag);
      }
      return next();
    }
    case 304:
      return next();
    case 401:
    case 403:
      return retry(what + ": HTTP " + std::to_string(r.status) + ": " +
                       server_message(std::string(r.body.begin(), r.body.end())) +
                       (server ? " (was this device removed from the control server?)" : ""),
                   true);
    case 404:
      return retry(what + ": " + (server ? "no bundle for this device yet" : "not found (HTTP 404)"),
                   false);
    default: {
      bool transient = r.status == 429 || r.status >= 500;
      return retry(what + ": HTTP " + std::to_string(r.status) + ": " +
                       server_message(std::string(r.body.begin(), r.body.end())),
                   !transient);
    }
  }
}

void ControlClient::run() {
  if (s_.url.kind == ControlUrl::Kind::kServer && !ensure_registered()) return;
  while (!stop_) {
    // SIGHUP: ask for the bundle unconditionally.
    if (refetch_.exchange(false)) {
      etag_.clear();
      last_digest_.reset();
    }
    int64_t wait = fetch_once();
    if (stop_) break;
    if (wait > 0) http_.sleep(wait);
  }
}

}  // namespace aclc::meshd
