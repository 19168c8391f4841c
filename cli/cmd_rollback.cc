// aclc rollback: make an earlier policy current again, as a new commit on
// top of the history (nothing is rewritten). Offline on the state directory
// (the server stopped), or through a running server's API.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/file_io.h"
#include "cli/output.h"
#include "cli/signing_key.h"
#include "control/api_answer.h"
#include "control/api_client.h"
#include "control/control_plane.h"

namespace aclc::cli {
namespace {

struct RollbackOptions {
  std::string revision;
  std::string state;
  std::string sign_key;
  std::string api;
  std::string tailnet = "-";
  std::string cacert;
  std::string if_match;
  std::string author;
  std::string dialect = "aclc";
  bool no_verify = false;
};

void error(const std::string& msg) { std::fprintf(stderr, "aclc: error: %s\n", msg.c_str()); }

void print_findings(const std::string& body) {
  Diagnostics diags;
  control::answer_findings(body, "policy.hujson", diags);
  bool colour = use_colour(stderr);
  for (const Diagnostic& d : diags.items()) std::fputs(render_text(d, colour).c_str(), stderr);
}

int rollback_offline(const RollbackOptions& o) {
  if (o.sign_key.empty()) {
    error("a rollback on --state needs --sign-key FILE: the devices' bundles are reissued");
    return kUsageOrIO;
  }
  std::string why;
  auto key = read_signing_key(o.sign_key, why);
  if (!key) {
    error(why);
    return kUsageOrIO;
  }
  control::ControlPlane::Options po;
  po.state_dir = o.state;
  po.dialect = *parse_dialect(o.dialect);
  po.verify = !o.no_verify;
  auto plane = control::ControlPlane::open(po, std::move(*key), why);
  if (!plane) {
    error(why + (why.find("in use") != std::string::npos
                     ? " (roll back through it instead: aclc rollback REV --api URL)"
                     : ""));
    return kUsageOrIO;
  }
  control::Credential admin;
  admin.name = o.author;
  if (admin.name.empty()) {
    const char* user = std::getenv("USER");
    admin.name = user && *user ? user : "aclc-rollback";
  }
  control::PolicyView now;
  auto out = plane->rollback(o.revision, control::parse_if_match(o.if_match, !o.if_match.empty()),
                             admin, now);
  if (!out.ok()) {
    if (out.fault == control::Fault::Invalid) {
      print_findings(out.body);
      error("revision " + o.revision + " does not validate against today's devices; not rolled back");
      return kPolicyFailure;
    }
    error(out.message);
    return out.fault == control::Fault::PreconditionFailed ? kPolicyFailure : kUsageOrIO;
  }
  std::fprintf(stderr, "aclc: rolled back to %s: commit %s, ETag %s\n", o.revision.c_str(),
               now.commit.c_str(), now.etag.c_str());
  return kPass;
}

int rollback_api(const RollbackOptions& o) {
  control::ApiClientOptions co;
  co.url = o.api;
  co.tailnet = o.tailnet;
  co.cacert = o.cacert;
  for (const char* name : {"TS_API_KEY", "ACLC_API_KEY"})
    if (const char* v = std::getenv(name); v && *v && co.api_key.empty()) co.api_key = v;
  if (co.api_key.empty()) {
    error("no API key: set TS_API_KEY (or ACLC_API_KEY)");
    return kUsageOrIO;
  }
  control::ApiClient api(std::move(co));
  control::ApiResponse r = api.rollback(o.revision, o.if_match);
  if (r.status == 200) {
    std::fprintf(stderr, "aclc: rolled back to %s (ETag %s)\n", o.revision.c_str(), r.etag.c_str());
    return kPass;
  }
  if (r.status == 0) {
    error(api.root() + ": " + r.transport_error);
    return kUsageOrIO;
  }
  if (r.status == 400) print_findings(r.body);
  error("rollback refused: HTTP " + std::to_string(r.status) + ": " + control::answer_message(r.body));
  return r.status == 400 || r.status == 412 ? kPolicyFailure : kUsageOrIO;
}

}  // namespace

Runner add_rollback_command(CLI::App& app);
const CommandRegistration kRegister81(81, add_rollback_command);

Runner add_rollback_command(CLI::App& app) {
  auto o = std::make_shared<RollbackOptions>();
  auto* cmd = app.add_subcommand(
      "rollback",
      "Make the policy of an earlier revision current again, as a new commit in aclc serve's "
      "history; the devices' bundles are reissued.");
  cmd->add_option("revision", o->revision,
                  "A revision of the policy history: a commit id (or prefix), HEAD~1, ...")
      ->required();
  auto* state = cmd->add_option("--state", o->state,
                                "The state directory of a stopped aclc serve");
  auto* api = cmd->add_option("--api", o->api,
                              "A running aclc serve (key from TS_API_KEY or ACLC_API_KEY)");
  state->excludes(api);
  cmd->add_option("--sign-key", o->sign_key, "With --state: the bundle signing key");
  cmd->add_option("--tailnet", o->tailnet, "With --api: the tailnet (default \"-\")");
  cmd->add_option("--cacert", o->cacert, "With --api: CA certificate(s) for its TLS");
  cmd->add_option("--if-match", o->if_match,
                  "Only if the current policy still has this ETag");
  cmd->add_option("--author", o->author, "With --state: the commit's author (default $USER)");
  cmd->add_option("--dialect", o->dialect, "With --state: aclc (default) or tailscale")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->add_flag("--no-verify", o->no_verify, "With --state: skip the tables' proof");
  cmd->footer(
      "Exit codes: 0 rolled back, 1 the revision's policy is invalid today or the policy "
      "changed (If-Match), 2 usage or I/O error.");
  return [o]() {
    if (o->state.empty() == o->api.empty()) {
      error("give either --state DIR (server stopped) or --api URL (server running)");
      return int(kUsageOrIO);
    }
    return o->state.empty() ? rollback_api(*o) : rollback_offline(*o);
  };
}

}  // namespace aclc::cli
