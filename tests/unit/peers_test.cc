#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>

#include "compiler/back/peers.h"
#include "tests/conformance/case.h"
#include "tests/unit/lower_fixture.h"

using namespace aclc;
using namespace aclc::testing;

namespace {

size_t device(const Inventory& inv, const char* host) {
  return static_cast<size_t>(inv.find_device(host) - inv.devices.data());
}

std::string names(const Inventory& inv, const std::vector<size_t>& ids) {
  std::vector<std::string> v;
  for (size_t i : ids) v.push_back(inv.devices[i].hostname);
  std::sort(v.begin(), v.end());
  return joined(v);
}

// Case ids whose recorded peers aclc does not reproduce, with the reason
// (tests/conformance/peers-expected-failures.txt: "<id> <reason>").
std::map<std::string, std::string> expected_failures() {
  std::map<std::string, std::string> out;
  std::ifstream in(std::string(ACLC_SOURCE_DIR) + "/tests/conformance/peers-expected-failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.find(' ');
    out[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("peers: symmetric, routers, exit nodes, self, via") {
  Lowered l = lower_text(policy_with(R"(
    "acls": [
      {"action": "accept", "src": ["bob@example.org"], "dst": ["tag:web:22"]},
      {"action": "accept", "src": ["alice@example.com"], "dst": ["lan:53"]},
      {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
      {"action": "deny", "src": ["alice@example.com"], "dst": ["bob:*"]}],
    "grants": [{"src": ["bob@example.org"], "dst": ["autogroup:internet"], "ip": ["*"]}])"));
  peers::Visibility v(l.prog, l.inv);
  auto p = [&](const char* h) { return names(l.inv, v.peers_of(device(l.inv, h))); };
  CHECK(p("bob") == "exit web1 web2");          // reaches web and the exit node
  CHECK(p("web1") == "bob");                    // symmetric
  CHECK(p("router") == "alaptop aphone");       // routes lan
  CHECK(p("alaptop") == "aphone router");       // self, and lan; deny adds nothing
  CHECK(p("exit") == "bob");
  CHECK_FALSE(v.visible(device(l.inv, "alaptop"), device(l.inv, "alaptop")));
  CHECK(v.visible(device(l.inv, "aphone"), device(l.inv, "alaptop")));
  CHECK(v.peers_of(999).empty());
}

TEST_CASE("peers: match the recorded peers of every conformance case") {
  auto expected = expected_failures();
  size_t cases = 0, nodes = 0, failed = 0;
  std::set<std::string> seen_failures;
  for (const auto& path : conformance::case_files({"acl", "grant", "routes"})) {
    std::string err;
    auto c = conformance::load_case(path, &err);
    REQUIRE_MESSAGE(c, err);
    if (c->code != 200 || !c->policy || c->diags.has_errors() || c->peers.empty()) continue;
    ir::Program prog = lower(*c->policy, c->inventory);
    peers::Visibility v(prog, c->inventory);
    std::string mismatch;
    for (const auto& [host, recorded] : c->peers) {
      const Device* d = c->inventory.find_device(host);
      REQUIRE_MESSAGE(d, c->id << ": no device " << host);
      std::vector<std::string> want;
      for (const hujson::Value& e : recorded.items) want.push_back(e.text);
      std::sort(want.begin(), want.end());
      std::string got = names(c->inventory, v.peers_of(static_cast<size_t>(d - c->inventory.devices.data())));
      if (got != joined(want) && mismatch.empty())
        mismatch = host + ": recorded [" + joined(want) + "], computed [" + got + "]";
      ++nodes;
    }
    ++cases;
    if (!mismatch.empty()) {
      ++failed;
      seen_failures.insert(c->id);
      if (!expected.count(c->id)) FAIL_CHECK(c->id << ": " << mismatch);
    }
  }
  for (const auto& [id, reason] : expected)
    CHECK_MESSAGE(seen_failures.count(id), id << " is listed as an expected failure but passes: remove it");
  MESSAGE("peers: " << cases - failed << "/" << cases << " cases match (" << nodes << " nodes)");
  CHECK(cases > 250);
}
