// Every recorded Tailscale verdict on a policy, replayed through
// parse_policy in the Tailscale dialect: a policy the control plane rejected
// with a validation message must give that message as the first error, and
// a policy it accepted (or rejected only because its tests failed) must give
// no error at all. Cases aclc deliberately answers differently are listed,
// with the reason, in tests/data/front/expected-failures.txt.
#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/front/policy_load.h"

namespace fs = std::filesystem;
using namespace aclc;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path conformance_dir() {
  if (const char* env = std::getenv("ACLC_CONFORMANCE_DIR")) return env;
  // The full recordings sit beside the repository when they are available;
  // a fresh clone has the in-repository copy only.
  fs::path shared = fs::path(ACLC_SOURCE_DIR) / ".." / "shared" / "conformance" / "tailscale";
  if (fs::is_directory(shared)) return shared;
  return fs::path(ACLC_SOURCE_DIR) / "tests" / "conformance" / "tailscale";
}

// id -> reason
std::map<std::string, std::string> expected_failures() {
  std::map<std::string, std::string> out;
  std::ifstream in(fs::path(ACLC_SOURCE_DIR) / "tests/data/front/expected-failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find_first_of(" \t");
    out[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  return out;
}

struct Case {
  std::string id;
  std::string policy;
  int code = 0;
  std::string message;
  std::vector<std::string> domains;
};

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::vector<fs::path> files;
  for (const auto& dir : fs::directory_iterator(conformance_dir()))
    if (dir.is_directory())
      for (const auto& f : fs::directory_iterator(dir.path()))
        if (f.path().extension() == ".json") files.push_back(f.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    rapidjson::Document d;
    std::string text = read_file(f);
    d.Parse(text.c_str(), text.size());
    REQUIRE_MESSAGE(!d.HasParseError(), f.string());
    Case c;
    c.id = d["id"].GetString();
    c.policy = d["policy"].GetString();
    c.code = d["api"]["code"].GetInt();
    if (d["api"]["body"].IsObject() && d["api"]["body"].HasMember("message"))
      c.message = d["api"]["body"]["message"].GetString();
    // The tailnet's domain is its owner's, the first user listed; invited
    // users from other domains do not make their domain the tailnet's
    // (recorded: user:*@example.org is rejected with thor@example.org a
    // member).
    if (d["users"].IsArray() && d["users"].Size() > 0) {
      std::string email = d["users"][0]["email"].GetString();
      c.domains.push_back(email.substr(email.find('@') + 1));
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace

TEST_CASE("conformance: first error matches Tailscale's verdict") {
  auto cases = load_cases();
  REQUIRE(cases.size() > 400);
  auto xfail = expected_failures();
  size_t checked_rejects = 0, checked_accepts = 0, matched_xfail = 0;
  for (const auto& c : cases) {
    policy::LoadOptions opts;
    opts.dialect = Dialect::Tailscale;
    opts.user_domains = c.domains;
    Diagnostics diags;
    auto p = policy::parse_policy(c.policy, c.id + ".hujson", opts, diags);
    const Diagnostic* first = diags.first_error();
    std::string got = first ? first->message : "";
    bool validation_reject = c.code != 200 && c.message != "test(s) failed";
    std::string want = validation_reject ? c.message : "";
    bool ok = got == want && (p.has_value() || validation_reject);
    if (xfail.count(c.id)) {
      // Still listed: it must still differ, or the list is stale.
      CHECK_MESSAGE(!ok, c.id << " now passes: remove it from expected-failures.txt");
      matched_xfail++;
      continue;
    }
    CHECK_MESSAGE(ok, c.id << ": want \"" << want << "\", got \"" << got
                           << "\" at " << (first ? first->pos.line : 0) << ":"
                           << (first ? first->pos.col : 0));
    (validation_reject ? checked_rejects : checked_accepts)++;
  }
  CHECK(matched_xfail == xfail.size());
  CHECK(checked_rejects >= 30);
  CHECK(checked_accepts >= 350);
}
