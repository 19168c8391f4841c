// Loading a recorded conformance case (tests/conformance/tailscale/*/*.json):
// the policy, the tailnet's inventory and users, the API verdict and what
// each node received. Shared by the conformance runner and property tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/hujson.h"
#include "compiler/front/inventory.h"
#include "compiler/front/policy_load.h"

namespace aclc::conformance {

struct Case {
  std::string id;
  std::string path;
  int code = 0;
  std::string policy_text;
  std::optional<policy::Policy> policy;  // decoded in the Tailscale dialect
  Inventory inventory;
  Diagnostics diags;                     // from decoding policy and inventory
  std::map<std::string, hujson::Value> expected_rules;  // host -> FilterRules
  std::map<std::string, hujson::Value> peers;           // host -> [names]
};

inline std::filesystem::path cases_dir() {
  return std::filesystem::path(ACLC_SOURCE_DIR) / "tests" / "conformance" / "tailscale";
}

// The case files of the given folders, sorted by path.
inline std::vector<std::filesystem::path> case_files(const std::vector<std::string>& folders) {
  std::vector<std::filesystem::path> out;
  for (const std::string& f : folders) {
    for (const auto& e : std::filesystem::directory_iterator(cases_dir() / f)) {
      if (e.path().extension() == ".json") out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline const hujson::Value* member(const hujson::Value& obj, std::string_view key) {
  for (const hujson::Member& m : obj.members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

// Reads a case; returns nullopt (with a message in *error) if the file is
// not a well-formed case.
inline std::optional<Case> load_case(const std::filesystem::path& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  hujson::Value root;
  try {
    root = hujson::parse(text);
  } catch (const hujson::SyntaxError& e) {
    *error = path.string() + ": " + e.what();
    return std::nullopt;
  }
  Case c;
  c.path = path.string();
  const hujson::Value* id = member(root, "id");
  const hujson::Value* pol = member(root, "policy");
  const hujson::Value* api = member(root, "api");
  const hujson::Value* inv = member(root, "inventory");
  if (!id || !pol || !api || !inv) {
    *error = path.string() + ": missing id, policy, api or inventory";
    return std::nullopt;
  }
  c.id = id->text;
  c.policy_text = pol->text;
  if (const hujson::Value* code = member(*api, "code")) c.code = std::stoi(code->text);
  c.inventory = decode_inventory(*inv, c.id + ".inventory", c.diags);
  if (const hujson::Value* users = member(root, "users")) {
    decode_users(*users, c.id + ".users", c.inventory, c.diags);
  }
  if (c.code == 200) {
    policy::LoadOptions opts;
    opts.dialect = Dialect::Tailscale;
    c.policy = policy::parse_policy(c.policy_text, c.id + ".hujson", opts, c.diags);
  }
  if (const hujson::Value* nodes = member(root, "nodes")) {
    for (const hujson::Member& m : nodes->members) {
      if (const hujson::Value* r = member(m.value, "packet_filter_rules")) {
        c.expected_rules[m.key] = *r;
      }
      if (const hujson::Value* p = member(m.value, "peers")) c.peers[m.key] = *p;
    }
  }
  return c;
}

}  // namespace aclc::conformance
