#include "control/policy_check.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "compiler/front/device_names.h"
#include "compiler/front/hujson.h"
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

namespace {

// check_policy, with `tests` (when given) in place of the policy's own tests
// and sshTests.
std::unique_ptr<CheckedPolicy> check(const std::string& text, const std::string& inventory_json,
                                     Dialect dialect, std::vector<policy::AclTest>* tests) {
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
    if (tests) {
      out->policy->tests = std::move(*tests);
      out->policy->ssh_tests.clear();
    }
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

// The prefix that makes a tests array a policy, so that the policy decoder
// (and nothing else) decodes it; on a line of its own, so that a position in
// the array is one line down from the same position in the request.
constexpr std::string_view kTestsPrefix = "{\"tests\":\n";

Pos in_request(Pos p) {
  if (p.line <= 1) return {};
  return Pos{p.line - 1, p.col, p.offset - kTestsPrefix.size()};
}

void to_request(policy::Str& s) { s.pos = in_request(s.pos); }

}  // namespace

std::unique_ptr<CheckedPolicy> check_policy(const std::string& text,
                                            const std::string& inventory_json,
                                            Dialect dialect) {
  return check(text, inventory_json, dialect, nullptr);
}

TestsRun run_tests_against(const std::string& text, const std::string& tests_body,
                           const std::string& inventory_json, Dialect dialect) {
  TestsRun run;
  // The body alone first: exactly one array (so that the wrapper below
  // cannot be smuggled more members), syntax errors at their own positions.
  try {
    hujson::Value root = hujson::parse(tests_body);
    if (!root.is_array()) {
      run.request_error = "want a JSON array of tests, got " +
                          std::string(hujson::kind_name(root.kind));
      return run;
    }
  } catch (const hujson::SyntaxError& e) {
    Diagnostic d;
    d.pos = e.pos();
    d.message = e.what();
    run.request_error = positioned_message(d);
    return run;
  }
  Diagnostics decode;
  auto wrapped = policy::parse_policy(std::string(kTestsPrefix) + tests_body + "\n}", "tests",
                                      dialect, decode);
  if (!wrapped || decode.has_errors()) {
    Diagnostic d = decode.first_error() ? *decode.first_error() : Diagnostic{};
    if (d.message.empty()) d.message = "malformed tests";
    d.pos = in_request(d.pos);
    run.request_error = positioned_message(d);
    return run;
  }
  for (policy::AclTest& t : wrapped->tests) {
    t.pos = in_request(t.pos);
    if (t.src) to_request(*t.src);
    if (t.proto) to_request(*t.proto);
    for (policy::Str& s : t.accept) to_request(s);
    for (policy::Str& s : t.deny) to_request(s);
  }
  auto checked = check(text, inventory_json, dialect, &wrapped->tests);
  if (!checked->valid) run.error_body = checked->error_body;
  return run;
}

}  // namespace aclc::control
