#include "control/api_client.h"

#include <curl/curl.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <random>
#include <thread>

#include "compiler/common/json_text.h"
#include "control/etag.h"

namespace aclc::control {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

struct Headers {
  std::string etag;
  double retry_after = -1;
};

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* h = static_cast<Headers*>(user);
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "etag") h->etag = unquote_etag(value);
    if (name == "retry-after") {
      // Seconds; an HTTP date is treated as "unknown" (our own backoff).
      char* end = nullptr;
      double s = std::strtod(value.c_str(), &end);
      if (end && *end == '\0' && s >= 0) h->retry_after = s;
    }
  }
  return size * n;
}

std::string api_root(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::string suffix = "/api/v2";
  if (url.size() < suffix.size() || url.compare(url.size() - suffix.size(), suffix.size(), suffix) != 0)
    url += suffix;
  return url;
}

}  // namespace

bool retryable_status(long status) { return status == 429 || (status >= 500 && status <= 599); }

ApiClient::ApiClient(ApiClientOptions o) : o_(std::move(o)), root_(api_root(o_.url)) {
  global_init();
}

ApiClient::~ApiClient() { sodium_memzero(o_.api_key.data(), o_.api_key.size()); }

ApiResponse ApiClient::once(const std::string& method, const std::string& url,
                            const std::string& body, const std::vector<std::string>& headers,
                            double& retry_after) {
  ApiResponse r;
  CURL* c = curl_easy_init();
  if (!c) {
    r.transport_error = "cannot initialise libcurl";
    return r;
  }
  Headers h;
  curl_slist* list = nullptr;
  for (const std::string& s : headers) list = curl_slist_append(list, s.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  if (o_.bearer) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, o_.api_key.c_str());
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, o_.api_key.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, "");
  }
  if (!o_.cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o_.cacert.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT, o_.timeout_seconds);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "aclc-deploy");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
  // The body of an error answer is wanted (the server's message).
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    r.etag = h.etag;
  } else {
    r.transport_error = curl_easy_strerror(rc);
    // A refused or dropped connection may heal; a certificate error won't.
    r.transient = rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
                  rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
                  rc == CURLE_COULDNT_RESOLVE_HOST;
  }
  retry_after = h.retry_after;
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return r;
}

ApiResponse ApiClient::request(const std::string& method, const std::string& path,
                               const std::string& body, const std::vector<std::string>& headers) {
  std::string url = root_ + path;
  std::random_device seed;
  std::mt19937_64 rng(seed());
  ApiResponse r;
  unsigned attempts = std::max(1u, o_.max_attempts);
  for (unsigned i = 1; i <= attempts; ++i) {
    double retry_after = -1;
    r = once(method, url, body, headers, retry_after);
    r.attempts = i;
    bool again = r.status == 0 ? r.transient : retryable_status(r.status);
    if (!again || i == attempts) break;
    // Exponential backoff with jitter (half fixed, half random, so that
    // clients that failed together do not retry together), or the server's
    // Retry-After; never more than max_delay.
    auto cap = o_.max_delay;
    auto exp = o_.base_delay * (int64_t(1) << std::min(i - 1, 20u));
    auto delay = std::min(cap, exp);
    std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(0, delay.count() / 2));
    delay = delay / 2 + std::chrono::milliseconds(jitter(rng));
    if (retry_after >= 0)
      delay = std::min(cap, std::chrono::milliseconds(int64_t(retry_after * 1000)));
    std::this_thread::sleep_for(delay);
  }
  return r;
}

ApiResponse ApiClient::get_policy() {
  return request("GET", "/tailnet/" + o_.tailnet + "/acl", "", {"Accept: application/hujson"});
}

ApiResponse ApiClient::validate(const std::string& policy) {
  return request("POST", "/tailnet/" + o_.tailnet + "/acl/validate", policy,
                 {"Content-Type: application/hujson"});
}

ApiResponse ApiClient::set_policy(const std::string& policy, const std::string& if_match_etag) {
  std::vector<std::string> h = {"Content-Type: application/hujson", "Accept: application/hujson"};
  if (!if_match_etag.empty()) h.push_back("If-Match: " + quote_etag(if_match_etag));
  return request("POST", "/tailnet/" + o_.tailnet + "/acl", policy, h);
}

ApiResponse ApiClient::rollback(const std::string& revision, const std::string& if_match_etag) {
  std::vector<std::string> h = {"Content-Type: application/json"};
  if (!if_match_etag.empty()) h.push_back("If-Match: " + quote_etag(if_match_etag));
  return request("POST", "/tailnet/" + o_.tailnet + "/acl/rollback",
                 "{\"revision\":" + json_quote(revision) + "}", h);
}

}  // namespace aclc::control
