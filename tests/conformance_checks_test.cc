// Tailscale's recorded verdicts on `tests` and `sshTests`, and the SSH
// policy each node received (tests/conformance/tailscale/{policytest,
// sshtest,ssh}), replayed through aclc:
//   * a case the API accepted (200) must pass all its tests and sshTests,
//     and every node's compiled SSHPolicy must equal the recorded one (rules
//     in order, principals as a multiset, sshUsers as a map);
//   * a case rejected with "test(s) failed" must parse cleanly and fail at
//     least one test or sshTest;
//   * a case rejected with any other message is a validation error: the
//     front end's business (its own conformance test), only counted here.
// Cases aclc still answers differently are listed with their reason in
// tests/conformance/checks-expected-failures.txt; an unlisted failure fails.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/back/ssh_policy.h"
#include "compiler/front/hujson.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/lower_ssh.h"
#include "compiler/front/lower_tests.h"
#include "compiler/front/policy_load.h"
#include "verifier/policy_tests.h"
#include "verifier/ssh_tests.h"
#include "verifier/test_failure_body.h"

namespace fs = std::filesystem;
using namespace aclc;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const hujson::Value* member(const hujson::Value& obj, std::string_view key) {
  for (const hujson::Member& m : obj.members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A JSON value as a canonical string: object keys sorted, and the elements
// of every "principals" array sorted (Tailscale's order there is not
// meaningful; duplicates are kept, so this compares multisets).
std::string canonical(const hujson::Value& v, bool sort_items = false) {
  switch (v.kind) {
    case hujson::Kind::Null:
      return "null";
    case hujson::Kind::Bool:
      return v.boolean ? "true" : "false";
    case hujson::Kind::Number:
      return v.text;
    case hujson::Kind::String:
      return quote(v.text);
    case hujson::Kind::Array: {
      std::vector<std::string> items;
      for (const hujson::Value& i : v.items) items.push_back(canonical(i));
      if (sort_items) std::sort(items.begin(), items.end());
      std::string out = "[";
      for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
      return out + "]";
    }
    case hujson::Kind::Object: {
      std::vector<std::string> fields;
      for (const hujson::Member& m : v.members) {
        fields.push_back(quote(m.key) + ":" + canonical(m.value, m.key == "principals"));
      }
      std::sort(fields.begin(), fields.end());
      std::string out = "{";
      for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
      return out + "}";
    }
  }
  return "";
}

std::map<std::string, std::string> expected_failures() {
  std::map<std::string, std::string> out;
  std::ifstream in(fs::path(ACLC_SOURCE_DIR) / "tests/conformance/checks-expected-failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find_first_of(" \t");
    out[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  return out;
}

struct Outcome {
  bool validation_case = false;  // rejected for a reason other than tests
  bool tests_checked = false;
  size_t nodes_compared = 0;
  std::string problem;  // empty: matches Tailscale
};

std::string first_messages(const Diagnostics& d) {
  std::string out;
  for (const Diagnostic& x : d.items()) {
    if (x.severity != Severity::Error) continue;
    out += "\n    " + format_location(x.file, x.pos) + ": " + x.message;
    if (!x.hint.empty()) out += " [" + x.hint + "]";
  }
  return out;
}

Outcome run_case(const hujson::Value& root, const std::string& id) {
  Outcome o;
  const hujson::Value* api = member(root, "api");
  const hujson::Value* code_v = api ? member(*api, "code") : nullptr;
  const int code = code_v ? std::stoi(code_v->text) : 0;
  std::string message;
  if (const hujson::Value* body = api ? member(*api, "body") : nullptr) {
    if (const hujson::Value* m = member(*body, "message")) message = m->text;
  }
  if (code != 200 && message != "test(s) failed") {
    o.validation_case = true;
    return o;
  }

  Diagnostics diags;
  Inventory inv = decode_inventory(*member(root, "inventory"), id + ".inventory", diags);
  policy::LoadOptions opts;
  opts.dialect = Dialect::Tailscale;
  if (const hujson::Value* users = member(root, "users")) {
    decode_users(*users, id + ".users", inv, diags);
    if (!users->items.empty()) {
      // The tailnet's domain is its owner's, the first user listed.
      if (const hujson::Value* email = member(users->items[0], "email")) {
        opts.user_domains = std::vector<std::string>{email->text.substr(email->text.find('@') + 1)};
      }
    }
  }
  auto pol = policy::parse_policy(member(root, "policy")->text, id + ".hujson", opts, diags);
  if (!pol || diags.has_errors()) {
    o.problem = "the front end rejects a policy Tailscale accepted:" + first_messages(diags);
    return o;
  }

  ir::Program prog = lower(*pol, inv);
  ir::SshProgram ssh = lower_ssh(*pol, inv);
  ir::TestSuite suite = lower_tests(*pol, inv);
  verify::AclTestReport tr = verify::run_policy_tests(suite.tests, prog, inv);
  verify::SshTestReport sr = verify::run_ssh_tests(suite.ssh_tests, ssh, inv);
  o.tests_checked = !suite.tests.empty() || !suite.ssh_tests.empty();
  const bool all_pass = tr.passed() && sr.passed();
  if (code == 200 && !all_pass) {
    Diagnostics why;
    verify::to_diagnostics(tr, id, why);
    verify::to_diagnostics(sr, id, why);
    o.problem = "Tailscale accepted, aclc fails tests:" + first_messages(why);
    return o;
  }
  if (code != 200) {
    if (all_pass) {
      o.problem = "Tailscale failed a test, aclc passes them all";
    } else if (verify::test_failure_body(tr, sr).rfind(R"({"message":"test(s) failed","data":[{"user":)", 0) != 0) {
      o.problem = "the failure body is not Tailscale's shape: " + verify::test_failure_body(tr, sr);
    }
    return o;
  }

  // Accepted: compare every node's SSH policy.
  const hujson::Value* nodes = member(root, "nodes");
  if (!nodes) return o;
  for (const hujson::Member& n : nodes->members) {
    const hujson::Value* want = member(n.value, "ssh_policy");
    if (!want) continue;
    const Device* d = inv.find_device(n.key);
    if (!d) {
      o.problem = "node " + n.key + " is not in the inventory";
      return o;
    }
    size_t idx = static_cast<size_t>(d - inv.devices.data());
    std::string got_json = tailcfg::ssh_policy_json(ir::node_ssh_rules(ssh, inv, idx));
    std::string got = canonical(hujson::parse(got_json));
    std::string exp = canonical(*want);
    ++o.nodes_compared;
    if (got != exp) {
      o.problem = "ssh_policy of " + n.key + ":\n    want " + exp + "\n    got  " + got;
      return o;
    }
  }
  return o;
}

}  // namespace

TEST_CASE("conformance: tests, sshTests and SSH policies match Tailscale's recordings") {
  const fs::path dir = fs::path(ACLC_SOURCE_DIR) / "tests" / "conformance" / "tailscale";
  std::vector<fs::path> files;
  for (const char* folder : {"policytest", "sshtest", "ssh"}) {
    for (const auto& e : fs::directory_iterator(dir / folder)) {
      if (e.path().extension() == ".json") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 80);

  auto xfail = expected_failures();
  size_t validation = 0, verdicts = 0, nodes = 0, listed = 0;
  for (const fs::path& f : files) {
    hujson::Value root = hujson::parse(read_text(f));
    const hujson::Value* id_v = member(root, "id");
    REQUIRE_MESSAGE(id_v, f.string());
    const std::string id = id_v->text;
    Outcome o = run_case(root, id);
    if (o.validation_case) {
      ++validation;
      continue;
    }
    if (xfail.count(id)) {
      ++listed;
      if (o.problem.empty()) MESSAGE(id << " now matches: remove it from the expected failures");
      continue;
    }
    CHECK_MESSAGE(o.problem.empty(), id << ": " << o.problem);
    if (o.tests_checked) ++verdicts;
    nodes += o.nodes_compared;
  }
  MESSAGE("validation cases (front end): " << validation << ", test verdicts checked: "
                                           << verdicts << ", node SSH policies compared: "
                                           << nodes << ", expected failures: " << listed);
  CHECK(verdicts >= 30);
  CHECK(nodes >= 300);
}
