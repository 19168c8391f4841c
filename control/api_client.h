// A client of the policy API, Tailscale's and `aclc serve`'s alike
// (libcurl). Requests that fail in a way worth repeating (429, any 5xx, a
// connection that failed or timed out) are retried with exponential backoff
// and jitter, honouring Retry-After, a bounded number of times. A retried
// conditional write is safe: If-Match makes a repeat of an applied write
// fail with 412, never apply twice.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace aclc::control {

struct ApiClientOptions {
  std::string url;              // "https://api.tailscale.com" or ".../api/v2"
  std::string tailnet = "-";
  std::string api_key;          // zeroed when the client goes away
  bool bearer = false;          // Authorization: Bearer; default basic auth
  std::string cacert;           // a CA bundle for the server's certificate
  unsigned max_attempts = 5;    // first try included
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{16000};
  long timeout_seconds = 60;    // per attempt
};

struct ApiResponse {
  long status = 0;              // 0: no HTTP answer (see transport_error)
  std::string body;
  std::string etag;             // the ETag header, unquoted
  std::string transport_error;  // libcurl's reason when status == 0
  bool transient = false;       // a transport error worth retrying
  unsigned attempts = 0;
};

class ApiClient {
 public:
  explicit ApiClient(ApiClientOptions o);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // GET /tailnet/{t}/acl (Accept: application/hujson): the stored text and
  // its ETag.
  ApiResponse get_policy();
  // POST /tailnet/{t}/acl/validate with the candidate policy.
  ApiResponse validate(const std::string& policy);
  // POST /tailnet/{t}/acl with If-Match: "<etag>" (no header when empty).
  ApiResponse set_policy(const std::string& policy, const std::string& if_match_etag);
  // POST /tailnet/{t}/acl/rollback (aclc serve only).
  ApiResponse rollback(const std::string& revision, const std::string& if_match_etag);

  // Any request; `path` is relative to .../api/v2.
  ApiResponse request(const std::string& method, const std::string& path,
                      const std::string& body, const std::vector<std::string>& headers);

  // The API root this client talks to (".../api/v2").
  const std::string& root() const { return root_; }

 private:
  ApiResponse once(const std::string& method, const std::string& url, const std::string& body,
                   const std::vector<std::string>& headers, double& retry_after);
  ApiClientOptions o_;
  std::string root_;
};

// Whether a status is worth another attempt.
bool retryable_status(long status);

}  // namespace aclc::control
