// aclc deploy: push a policy through Tailscale's policy API (or aclc
// serve's, which is the same): validate, then a conditional write with
// If-Match carrying the ETag of the version the change was reviewed
// against, so that a change made elsewhere in between is never overwritten.
#include <CLI/CLI.hpp>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/file_io.h"
#include "cli/output.h"
#include "control/api_answer.h"
#include "control/api_client.h"
#include "control/etag.h"

namespace aclc::cli {
namespace {

struct DeployOptions {
  std::string policy;
  std::string api;
  std::string tailnet = "-";
  std::string if_match;
  std::string etag_file;
  std::string cacert;
  std::string format = "text";
  bool test = false;
  bool bearer = false;
  unsigned max_attempts = 5;
  unsigned retry_base_ms = 500;
};

// The key comes from the environment only: a command line is visible to
// every user of the machine (ps) and lands in shell histories.
std::string api_key_from_env() {
  for (const char* name : {"TS_API_KEY", "ACLC_API_KEY"})
    if (const char* v = std::getenv(name); v && *v) return v;
  return "";
}

struct Outcome {
  int exit_code = kPass;
  std::string status;  // deployed, unchanged, valid, invalid, conflict, error
  std::string summary;
  std::string etag;
  Diagnostics diags;
};

void print(const DeployOptions& o, Format format, const Outcome& out) {
  if (format == Format::Json) {
    std::string j = "{\"command\":\"deploy\",\"policy\":" + json_quote(o.policy) +
                    ",\"status\":" + json_quote(out.status) + ",\"exitCode\":" +
                    std::to_string(out.exit_code) + ",\"etag\":" + json_quote(out.etag) +
                    ",\"message\":" + json_quote(out.summary) + ",\"diagnostics\":[";
    for (size_t i = 0; i < out.diags.items().size(); ++i) {
      if (i) j += ',';
      j += diagnostic_json(out.diags.items()[i]);
    }
    std::printf("%s]}\n", j.c_str());
    return;
  }
  bool colour = use_colour(stderr);
  for (const Diagnostic& d : out.diags.items()) {
    if (format == Format::Github) std::fputs(render_github(d).c_str(), stdout);
    else std::fputs(render_text(d, colour).c_str(), stderr);
  }
  if (format == Format::Github && out.exit_code != kPass && out.diags.items().empty())
    std::printf("::error title=aclc deploy::%s\n", github_escape_data(out.summary).c_str());
  std::fprintf(stderr, "aclc: %s\n", out.summary.c_str());
}

Outcome http_failure(const control::ApiResponse& r, const std::string& what) {
  Outcome out;
  out.status = "error";
  out.exit_code = kUsageOrIO;
  if (r.status == 0) {
    out.summary = "error: " + what + ": " + r.transport_error + " (after " +
                  std::to_string(r.attempts) + " attempt" + (r.attempts == 1 ? "" : "s") + ")";
  } else {
    std::string hint;
    if (r.status == 401 || r.status == 403)
      hint = " (check the API key in TS_API_KEY or ACLC_API_KEY)";
    out.summary = "error: " + what + ": HTTP " + std::to_string(r.status) + ": " +
                  control::answer_message(r.body) + hint;
  }
  return out;
}

Outcome deploy(const DeployOptions& o) {
  Outcome out;
  std::string err;
  auto text = read_file(o.policy, err);
  if (!text) {
    out.exit_code = kUsageOrIO;
    out.status = "error";
    out.summary = "error: " + err;
    return out;
  }
  control::ApiClientOptions co;
  co.url = o.api;
  co.tailnet = o.tailnet;
  co.api_key = api_key_from_env();
  co.bearer = o.bearer;
  co.cacert = o.cacert;
  co.max_attempts = o.max_attempts;
  co.base_delay = std::chrono::milliseconds(o.retry_base_ms);
  if (co.api_key.empty()) {
    out.exit_code = kUsageOrIO;
    out.status = "error";
    out.summary =
        "error: no API key: set TS_API_KEY (or ACLC_API_KEY); keys are never taken from the "
        "command line";
    return out;
  }
  control::ApiClient api(std::move(co));

  // 1. The version the change was reviewed against.
  std::string base = control::unquote_etag(o.if_match);
  if (base.empty() && !o.etag_file.empty()) {
    std::string why;
    auto cached = read_file(o.etag_file, why);
    if (cached) base = control::unquote_etag(*cached);
  }
  if (base.empty() && !o.test) {
    control::ApiResponse r = api.get_policy();
    if (r.status != 200) return http_failure(r, "cannot read the current policy from " + api.root());
    if (r.etag.empty()) {
      out.exit_code = kUsageOrIO;
      out.status = "error";
      out.summary = "error: the API sent no ETag for the current policy";
      return out;
    }
    base = r.etag;
  }

  // 2. Validate (never changes anything).
  control::ApiResponse v = api.validate(*text);
  if (v.status != 200) {
    if (v.status == 400 && control::answer_findings(v.body, o.policy, out.diags)) {
      out.exit_code = kPolicyFailure;
      out.status = "invalid";
      out.summary = "the API rejected " + o.policy;
      return out;
    }
    return http_failure(v, "validation failed");
  }
  if (control::answer_findings(v.body, o.policy, out.diags)) {
    out.exit_code = kPolicyFailure;
    out.status = "invalid";
    out.summary = o.policy + " is not valid: nothing deployed";
    return out;
  }
  std::string local = control::policy_etag(*text);
  if (o.test) {
    out.status = "valid";
    out.summary = o.policy + " is valid (--test: nothing deployed)";
    return out;
  }

  // 3. The conditional write.
  if (local == base) {
    out.status = "unchanged";
    out.etag = base;
    out.summary = "no update needed: " + o.policy + " is the current policy (ETag " + base + ")";
    return out;
  }
  control::ApiResponse s = api.set_policy(*text, base);
  if (s.status == 412 && s.attempts > 1) {
    // An earlier attempt may have been applied and only its answer lost.
    control::ApiResponse now = api.get_policy();
    if (now.status == 200 && now.etag == local) s.status = 200, s.etag = now.etag;
  }
  if (s.status == 200) {
    out.status = "deployed";
    out.etag = s.etag.empty() ? local : s.etag;
    out.summary = "deployed " + o.policy + " (ETag " + out.etag + ")";
    if (!o.etag_file.empty()) {
      std::string why;
      if (!write_file_atomic(o.etag_file, out.etag + "\n", why))
        std::fprintf(stderr, "aclc: warning: %s\n", why.c_str());
    }
    return out;
  }
  if (s.status == 412) {
    out.exit_code = kPolicyFailure;
    out.status = "conflict";
    out.summary = "error: the policy was changed elsewhere since the reviewed version (ETag " +
                  base + "): " + control::answer_message(s.body) +
                  ". Nothing was overwritten; review the current policy and deploy again";
    return out;
  }
  if (s.status == 400 && control::answer_findings(s.body, o.policy, out.diags)) {
    out.exit_code = kPolicyFailure;
    out.status = "invalid";
    out.summary = "the API rejected " + o.policy + ": nothing deployed";
    return out;
  }
  return http_failure(s, "cannot set the policy");
}

}  // namespace

Runner add_deploy_command(CLI::App& app);
const CommandRegistration kRegister80(80, add_deploy_command);

Runner add_deploy_command(CLI::App& app) {
  auto o = std::make_shared<DeployOptions>();
  auto* cmd = app.add_subcommand(
      "deploy",
      "Deploy a policy through Tailscale's policy API or aclc serve: validate it, then set it "
      "with If-Match so that a change made elsewhere since the reviewed version is never "
      "overwritten. The API key is read from TS_API_KEY (or ACLC_API_KEY).");
  cmd->add_option("policy", o->policy, "The policy file (HuJSON)")->required();
  cmd->add_option("--api", o->api,
                  "The API: https://api.tailscale.com, or an aclc serve URL")
      ->required();
  cmd->add_option("--tailnet", o->tailnet, "The tailnet (default \"-\": the key's own)");
  auto* im = cmd->add_option("--if-match", o->if_match,
                             "ETag of the reviewed version (default: the current one, read "
                             "from the API just before the write)");
  cmd->add_option("--etag-file", o->etag_file,
                  "File holding the reviewed ETag (a CI cache, like gitops-pusher's); "
                  "updated with the new ETag after a deploy")
      ->excludes(im);
  cmd->add_flag("--test", o->test, "Validate only; change nothing");
  cmd->add_flag("--bearer", o->bearer,
                "Send the key as a bearer token (default: HTTP basic auth, key as user name)");
  cmd->add_option("--cacert", o->cacert, "CA certificate(s) to trust for the API's TLS");
  cmd->add_option("--max-attempts", o->max_attempts,
                  "Attempts per request on 429, 5xx and network errors (default 5)")
      ->check(CLI::Range(1u, 20u));
  cmd->add_option("--retry-base-ms", o->retry_base_ms,
                  "First backoff delay in milliseconds, doubled each retry (default 500)")
      ->check(CLI::Range(1u, 60000u));
  cmd->add_option("--format", o->format, "text, json or github")
      ->check(CLI::IsMember({"text", "json", "github"}));
  cmd->footer(
      "Exit codes: 0 deployed (or valid with --test, or unchanged), 1 the policy is invalid or "
      "was changed elsewhere (412), 2 usage, network or authentication error.");
  return [o]() {
    Outcome out = deploy(*o);
    print(*o, *parse_format(o->format), out);
    return out.exit_code;
  };
}

}  // namespace aclc::cli
