// What `meshd --control URL` points at. Two kinds, told apart by the URL
// alone so the operator's intent is never guessed from a server's answers:
//
//   a control server (`aclc serve`): the base URL, e.g.
//     https://control.example.com:8443 — meshd registers once with a
//     pre-auth key and long-polls GET /api/v2/node/bundle with its node key;
//   a static bundle file: a URL whose path ends in ".bundle", e.g.
//     https://cdn.example.com/bundles/web-1.bundle — served by any HTTP
//     server or object store; meshd polls it with If-None-Match. Bundles
//     are signed, so the server needs no trust (docs/control.md).
#ifndef ACLC_RUNTIME_MESHD_CONTROL_URL_H_
#define ACLC_RUNTIME_MESHD_CONTROL_URL_H_

#include <optional>
#include <string>

namespace aclc::meshd {

struct ControlUrl {
  enum class Kind { kServer, kStaticBundle } kind = Kind::kServer;
  std::string url;  // as given (kServer: without a trailing '/')

  // kServer only.
  std::string register_url() const { return url + "/api/v2/machine/register"; }
  std::string bundle_url(unsigned wait_seconds) const {
    return url + "/api/v2/node/bundle?wait=" + std::to_string(wait_seconds);
  }
};

// nullopt with `error` unless the URL is http:// or https:// with a host
// and without credentials, spaces or control characters; a server URL has
// no query or fragment.
std::optional<ControlUrl> parse_control_url(const std::string& text, std::string& error);

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_CONTROL_URL_H_
