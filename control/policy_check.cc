#include "control/policy_check.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "compiler/front/device_names.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/lower_ssh.h"
#include "compiler/front/lower_tests.h"
#include "compiler/front/policy_load.h"
#include "verifier/policy_tests.h"
#include "verifier/ssh_tests.h"
#include "verifier/test_failure_body.h"

namespace aclc::control {
namespace {

constexpr const char* kPolicyFile = "policy.hujson";

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const std::string& s) {
  w.String(s.c_str(), rapidjson::SizeType(s.size()));
}

void write_findings(Writer& w, const Diagnostics& diags, Severity which, const char* key) {
  w.Key(key);
  w.StartArray();
  for (const Diagnostic& d : diags.items()) {
    if (d.severity != which) continue;
    w.StartObject();
    w.Key("line");
    w.Uint(d.pos.line);
    w.Key("column");
    w.Uint(d.pos.col);
    w.Key("message");
    put(w, d.message);
    if (!d.hint.empty()) {
      w.Key("hint");
      put(w, d.hint);
    }
    w.EndObject();
  }
  w.EndArray();
}

// {"message": ..., ["data": ...,] "errors": [...], "warnings": [...]}.
std::string error_body(const Diagnostics& diags, const std::string& test_body) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  rapidjson::Document tests;
  if (!test_body.empty()) tests.Parse(test_body.c_str());
  const Diagnostic* first = diags.first_error();
  w.Key("message");
  if (!test_body.empty() && tests.IsObject()) {
    w.String("test(s) failed");
  } else {
    put(w, first ? positioned_message(*first) : std::string("invalid policy"));
  }
  if (!test_body.empty() && tests.IsObject() && tests.HasMember("data")) {
    w.Key("data");
    tests["data"].Accept(w);
  }
  write_findings(w, diags, Severity::Error, "errors");
  write_findings(w, diags, Severity::Warning, "warnings");
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

std::string positioned_message(const Diagnostic& d) {
  if (!d.pos.known()) return d.message;
  return "line " + std::to_string(d.pos.line) + ", column " + std::to_string(d.pos.col) + ": " +
         d.message;
}

std::unique_ptr<CheckedPolicy> check_policy(const std::string& text,
                                            const std::string& inventory_json,
                                            Dialect dialect) {
  auto out = std::make_unique<CheckedPolicy>();
  Diagnostics& diags = out->diags;
  Diagnostics inv_diags;
  auto inv = parse_inventory(inventory_json, "registry", inv_diags);
  if (!inv || inv_diags.has_errors()) {
    // The registry only holds what it validated; this is a server bug.
    diags.error("registry", {}, "the device registry is inconsistent", "registry");
    out->error_body = error_body(diags, "");
    return out;
  }
  out->inventory = std::move(*inv);
  out->policy = policy::parse_policy(text, kPolicyFile, dialect, diags);
  if (out->policy) {
    check_device_names(*out->policy, &out->inventory, diags);
    check_inventory_against_policy(out->inventory, *out->policy, diags);
  }
  if (!out->policy || diags.has_errors()) {
    out->error_body = error_body(diags, "");
    return out;
  }
  out->program = lower(*out->policy, out->inventory);
  // Tests run against the registered devices, as Tailscale runs them
  // against the tailnet's.
  ir::TestSuite suite = lower_tests(*out->policy, out->inventory);
  auto acl = verify::run_policy_tests(suite.tests, *out->program, out->inventory);
  ir::SshProgram ssh = lower_ssh(*out->policy, out->inventory);
  auto ssh_report = verify::run_ssh_tests(suite.ssh_tests, ssh, out->inventory);
  verify::to_diagnostics(acl, kPolicyFile, diags);
  verify::to_diagnostics(ssh_report, kPolicyFile, diags);
  std::string test_body = verify::test_failure_body(acl, ssh_report);
  if (!test_body.empty() || diags.has_errors()) {
    out->error_body = error_body(diags, test_body);
    out->program.reset();
    return out;
  }
  out->valid = true;
  return out;
}

}  // namespace aclc::control
