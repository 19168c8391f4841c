// One HTTP(S) client connection for meshd's fetch thread (libcurl). A
// request or a sleep can be cut short from any other thread with
// interrupt(), so a 30-second long-poll never delays shutdown. The
// connection is kept alive between requests.
//
// Bounded in every dimension a hostile or broken server controls: body
// size, header size, total time (connect 10 s), redirects (5, HTTP(S)
// only). Bodies are never logged.
#ifndef ACLC_RUNTIME_MESHD_HTTP_SESSION_H_
#define ACLC_RUNTIME_MESHD_HTTP_SESSION_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace aclc::meshd {

struct HttpRequest {
  std::string method = "GET";         // GET or POST
  std::string url;
  std::vector<std::string> headers;   // "Name: value"
  std::string body;                   // POST only
  int64_t timeout_ms = 30'000;        // the whole exchange
  size_t max_body = 1 << 20;          // larger answers fail
  std::string ca_file;                // empty: the system's CAs
};

struct HttpResponse {
  long status = 0;           // 0: no HTTP answer (see error)
  std::string etag;          // the ETag header as sent (quotes kept), or ""
  std::vector<uint8_t> body;
  std::string error;         // transport failure, or "" after an answer
  bool interrupted = false;  // interrupt() ended it
};

class HttpSession {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // False if libcurl could not be set up (then every perform() fails).
  bool ok() const { return multi_ && easy_; }

  // Runs one request to completion, timeout or interrupt(). Call from one
  // thread at a time.
  HttpResponse perform(const HttpRequest& request);
  // Waits `ms`; true if interrupt() cut it short.
  bool sleep(int64_t ms);
  // Any thread: ends the perform() or sleep() in progress, or the next one
  // if none is (the interruption is not lost).
  void interrupt();

 private:
  bool take_interrupt() { return interrupted_.exchange(false); }

  void* multi_ = nullptr;  // CURLM*
  void* easy_ = nullptr;   // CURL*
  std::atomic<bool> interrupted_{false};
};

// Calls curl_global_init once; before any thread uses libcurl.
void http_global_init();

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_HTTP_SESSION_H_
