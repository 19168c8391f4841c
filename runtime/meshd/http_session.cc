#include "runtime/meshd/http_session.h"

#include <curl/curl.h>
#include <sodium.h>
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>

namespace aclc::meshd {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;

struct Transfer {
  HttpResponse* response;
  size_t max_body;
  size_t header_bytes = 0;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->response->body.size() + len > t->max_body) {
    t->too_large = true;
    return 0;  // ends the transfer with CURLE_WRITE_ERROR
  }
  t->response->body.insert(t->response->body.end(), data, data + len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  t->header_bytes += len;
  if (t->header_bytes > kMaxHeaderBytes) return 0;
  std::string_view line(data, len);
  // A new status line (after a redirect or a 100 Continue) starts over.
  if (line.starts_with("HTTP/")) t->response->etag.clear();
  constexpr std::string_view kEtag = "etag:";
  if (line.size() > kEtag.size() && strncasecmp(line.data(), kEtag.data(), kEtag.size()) == 0) {
    std::string_view v = line.substr(kEtag.size());
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    t->response->etag = std::string(v.substr(0, 512));
  }
  return len;
}

}  // namespace

void http_global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpSession::HttpSession() {
  http_global_init();
  multi_ = curl_multi_init();
  easy_ = curl_easy_init();
}

HttpSession::~HttpSession() {
  if (easy_) curl_easy_cleanup(static_cast<CURL*>(easy_));
  if (multi_) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void HttpSession::interrupt() {
  interrupted_ = true;
  if (multi_) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

bool HttpSession::sleep(int64_t ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    if (take_interrupt()) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    // No transfer is attached: this only waits for the timeout or a wakeup.
    curl_multi_poll(static_cast<CURLM*>(multi_), nullptr, 0, int(std::min<int64_t>(left.count(), 1000)),
                    nullptr);
  }
}

HttpResponse HttpSession::perform(const HttpRequest& r) {
  HttpResponse out;
  if (!ok()) {
    out.error = "libcurl could not be initialised";
    return out;
  }
  if (take_interrupt()) {
    out.interrupted = true;
    out.error = "interrupted";
    return out;
  }
  CURL* e = static_cast<CURL*>(easy_);
  CURLM* m = static_cast<CURLM*>(multi_);
  curl_easy_reset(e);  // keeps the connection cache
  Transfer t{&out, r.max_body};
  curl_slist* headers = nullptr;
  for (const auto& h : r.headers) headers = curl_slist_append(headers, h.c_str());
  // An empty Expect stops curl from waiting for 100 Continue on POSTs.
  headers = curl_slist_append(headers, "Expect:");
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, std::min<long>(10'000, long(r.timeout_ms)));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, long(r.timeout_ms));
  curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(r.max_body));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "meshd");
  if (!r.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, r.ca_file.c_str());
  if (r.method == "POST") {
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(r.body.size()));
  }

  CURLcode result = CURLE_OK;
  bool done = false;
  curl_multi_add_handle(m, e);
  while (!done) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(m, &running);
    if (mc != CURLM_OK) {
      out.error = std::string("libcurl: ") + curl_multi_strerror(mc);
      break;
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &queued))
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == e) {
        result = msg->data.result;
        done = true;
      }
    if (done) break;
    if (take_interrupt()) {
      out.interrupted = true;
      out.error = "interrupted";
      break;
    }
    curl_multi_poll(m, nullptr, 0, 1000, nullptr);
  }
  curl_multi_remove_handle(m, e);
  // Headers carry credentials (Authorization): wiped before they are freed.
  for (curl_slist* h = headers; h; h = h->next) sodium_memzero(h->data, std::strlen(h->data));
  curl_slist_free_all(headers);
  std::string curl_message = errbuf;
  // The handle outlives this frame: it must not keep pointers into it.
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, nullptr);
  if (!done) {
    out.body.clear();
    return out;
  }
  if (result != CURLE_OK) {
    out.body.clear();
    out.status = 0;
    if (t.too_large || result == CURLE_FILESIZE_EXCEEDED)
      out.error = "the answer is larger than " + std::to_string(r.max_body) + " bytes";
    else
      out.error = !curl_message.empty() ? curl_message : curl_easy_strerror(result);
    return out;
  }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

}  // namespace aclc::meshd
