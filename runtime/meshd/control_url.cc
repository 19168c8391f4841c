#include "runtime/meshd/control_url.h"

namespace aclc::meshd {

std::optional<ControlUrl> parse_control_url(const std::string& text, std::string& error) {
  auto fail = [&](const std::string& why) -> std::optional<ControlUrl> {
    error = "--control " + text + ": " + why;
    return std::nullopt;
  };
  for (unsigned char c : text)
    if (c <= ' ' || c >= 0x7f) return fail("the URL may not contain spaces or control characters");
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) return fail("expected http://HOST[:PORT][/PATH] or https://…");
  std::string scheme = text.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return fail("only http and https are supported");
  std::string rest = text.substr(scheme_end + 3);
  size_t path_at = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, path_at);
  if (authority.empty()) return fail("no host");
  // Credentials in a URL end up in process listings and logs.
  if (authority.find('@') != std::string::npos)
    return fail("credentials do not belong in the URL (use --auth-key-file)");
  std::string path = path_at == std::string::npos ? "" : rest.substr(path_at);

  ControlUrl out;
  std::string path_only = path.substr(0, path.find_first_of("?#"));
  if (path_only.size() > 7 && path_only.ends_with(".bundle")) {
    out.kind = ControlUrl::Kind::kStaticBundle;
    out.url = text;
    return out;
  }
  if (path.find_first_of("?#") != std::string::npos)
    return fail("a control server URL takes no query or fragment");
  out.kind = ControlUrl::Kind::kServer;
  out.url = text;
  while (out.url.ends_with("/")) out.url.pop_back();
  return out;
}

}  // namespace aclc::meshd
