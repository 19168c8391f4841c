// A small tailnet shared by the lowering, evaluator and tailcfg tests.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"

namespace aclc::testing {

// web1, web2: tag:web (web2 also tag:db); alaptop, aphone: alice; bob: bob
// (an admin); router: approved 10.1.0.0/16; exit: approved exit node.
inline const char* kTailnet = R"({"devices": [
  {"hostname": "web1", "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"], "tags": ["tag:web"]},
  {"hostname": "web2", "addresses": ["100.64.0.2"], "tags": ["tag:web", "tag:db"],
   "user": "alice@example.com"},
  {"hostname": "alaptop", "name": "alice-laptop.example.ts.net",
   "addresses": ["100.64.0.10", "fd7a:115c:a1e0::a"], "user": "alice@example.com"},
  {"hostname": "aphone", "addresses": ["100.64.0.11"], "user": "alice@example.com"},
  {"hostname": "bob", "addresses": ["100.64.0.20"], "user": "bob@example.org"},
  {"hostname": "router", "addresses": ["100.64.0.30"], "tags": ["tag:router"],
   "advertisedRoutes": ["10.1.0.0/16"], "enabledRoutes": ["10.1.0.0/16"]},
  {"hostname": "exit", "addresses": ["100.64.0.40"], "tags": ["tag:exit"],
   "advertisedRoutes": ["0.0.0.0/0", "::/0"], "enabledRoutes": ["0.0.0.0/0", "::/0"]}],
 "users": [{"name": "alice", "email": "alice@example.com"},
           {"name": "bob", "email": "bob@example.org", "role": "admin"},
           {"name": "carol", "email": "carol@example.com", "role": "owner"}]})";

// Sections every test policy shares; `rules` is spliced in.
inline std::string policy_with(const std::string& rules) {
  return R"({
  "groups": {"group:eng": ["alice@example.com", "bob@example.org"]},
  "tagOwners": {"tag:web": [], "tag:db": [], "tag:router": [], "tag:exit": []},
  "hosts": {"db": "10.9.0.5", "lan": "10.1.0.0/24"},
  "ipsets": {"ipset:office": ["add 10.0.0.0/8", "remove 10.1.0.0/16"]},
  )" + rules + "}";
}

struct Lowered {
  Inventory inv;
  policy::Policy pol;
  ir::Program prog;
};

inline Lowered lower_text(const std::string& policy_text, Dialect dialect = Dialect::Aclc) {
  Diagnostics d;
  Lowered out;
  auto inv = parse_inventory(kTailnet, "nodes.json", d);
  REQUIRE(inv);
  out.inv = std::move(*inv);
  policy::LoadOptions opts;
  opts.dialect = dialect;
  auto pol = policy::parse_policy(policy_text, "policy.hujson", opts, d);
  REQUIRE(pol);
  const Diagnostic* e = d.first_error();
  REQUIRE_MESSAGE(e == nullptr, (e ? format_location(e->file, e->pos) + ": " + e->message : ""));
  out.pol = std::move(*pol);
  out.prog = lower(out.pol, out.inv);
  return out;
}

inline std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

}  // namespace aclc::testing
