// Conformance: for every recorded case in acl/, grant/ and routes/ that
// Tailscale accepted, decode the policy (Tailscale dialect), load the case's
// devices and users, compile the tailcfg packet filter of every node, and
// compare with what Tailscale sent that node: the rules in order; inside a
// rule SrcIPs, DstPorts and IPProto as multisets (missing or empty IPProto
// is the default 6, 17, 1, 58); CapGrant Dsts as a multiset and CapMap as
// JSON. Rejected cases are the front end's job and are not counted here.
//
// Cases still off are listed in tests/conformance/expected-failures.txt with
// the reason; an unlisted failure fails the test, and so does a listed case
// that now passes (so the list stays honest).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/back/tailcfg.h"
#include "compiler/front/lower.h"
#include "tests/conformance/case.h"

using namespace aclc;

namespace {

std::map<std::string, std::string> expected_failures() {
  std::map<std::string, std::string> out;
  std::ifstream in(conformance::cases_dir().parent_path() / "expected-failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find_first_of(" \t");
    out[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(sp + 1);
  }
  return out;
}

std::string joined(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : " ") + x;
  return "[" + s + "]";
}

// One FilterRule (as parsed JSON) in a form where equal means equal as the
// README defines it.
std::string canonical(const hujson::Value& rule) {
  using conformance::member;
  std::string out;
  std::vector<std::string> src, dst, proto;
  if (const hujson::Value* v = member(rule, "SrcIPs"))
    for (const hujson::Value& s : v->items) src.push_back(s.text);
  if (const hujson::Value* v = member(rule, "DstPorts")) {
    for (const hujson::Value& d : v->items) {
      const hujson::Value* ports = member(d, "Ports");
      std::string p = ports ? member(*ports, "First")->text + "-" + member(*ports, "Last")->text : "?";
      dst.push_back(member(d, "IP")->text + ":" + p);
    }
  }
  if (const hujson::Value* v = member(rule, "IPProto"))
    for (const hujson::Value& p : v->items) proto.push_back(p.text);
  if (proto.empty()) proto = {"1", "17", "58", "6"};
  out += "SrcIPs=" + joined(src) + " DstPorts=" + joined(dst) + " IPProto=" + joined(proto);
  if (const hujson::Value* v = member(rule, "CapGrant")) {
    for (const hujson::Value& cg : v->items) {
      std::vector<std::string> dsts;
      if (const hujson::Value* d = member(cg, "Dsts"))
        for (const hujson::Value& s : d->items) dsts.push_back(s.text);
      const hujson::Value* cm = member(cg, "CapMap");
      out += " CapGrant{Dsts=" + joined(dsts) + " CapMap=" + (cm ? hujson::to_json(*cm) : "") + "}";
    }
  }
  return out;
}

// "" if equal, else the first difference.
std::string compare(const std::string& host, const hujson::Value& want, const hujson::Value& got) {
  size_t n = std::max(want.items.size(), got.items.size());
  for (size_t i = 0; i < n; ++i) {
    std::string w = i < want.items.size() ? canonical(want.items[i]) : "(none)";
    std::string g = i < got.items.size() ? canonical(got.items[i]) : "(none)";
    if (w != g) {
      return host + " rule " + std::to_string(i) + " (want " + std::to_string(want.items.size()) +
             " rules, got " + std::to_string(got.items.size()) + ")\n    want: " + w +
             "\n    got:  " + g;
    }
  }
  return "";
}

}  // namespace

TEST_CASE("conformance: tailcfg packet filters match Tailscale's, per node") {
  auto xfail = expected_failures();
  size_t passed = 0, failed = 0, skipped = 0, xfailed = 0;
  std::vector<std::string> unexpected, stale;
  for (const auto& path : conformance::case_files({"acl", "grant", "routes"})) {
    std::string err;
    auto c = conformance::load_case(path, &err);
    REQUIRE_MESSAGE(c.has_value(), err);
    if (c->code != 200) {
      ++skipped;
      continue;
    }
    std::string diff;
    if (!c->policy || c->diags.has_errors()) {
      const Diagnostic* d = c->diags.first_error();
      diff = "decoding failed: " + (d ? format_location(d->file, d->pos) + ": " + d->message : "");
    } else {
      ir::Program prog = lower(*c->policy, c->inventory);
      tailcfg::Compiler compiler(prog, c->inventory);
      for (size_t i = 0; i < c->inventory.devices.size() && diff.empty(); ++i) {
        const std::string& host = c->inventory.devices[i].hostname;
        auto it = c->expected_rules.find(host);
        if (it == c->expected_rules.end()) continue;
        hujson::Value got = hujson::parse(tailcfg::to_json(compiler.for_node(i)));
        diff = compare(host, it->second, got);
      }
    }
    bool listed = xfail.count(c->id) > 0;
    if (diff.empty()) {
      ++passed;
      if (listed) stale.push_back(c->id);
    } else if (listed) {
      ++xfailed;
    } else {
      ++failed;
      unexpected.push_back(c->id);
      std::cout << "FAIL " << c->id << ": " << diff << "\n";
    }
  }
  std::cout << "conformance (tailcfg): " << passed << " passed, " << failed << " failed, "
            << xfailed << " expected failures, " << skipped << " rejected cases skipped\n";
  for (const std::string& id : stale) {
    std::cout << "STALE " << id << " passes now: remove it from expected-failures.txt\n";
  }
  CHECK_MESSAGE(unexpected.empty(), unexpected.size() << " unexpected failures");
  CHECK_MESSAGE(stale.empty(), stale.size() << " listed cases pass now");
  CHECK(passed + xfailed > 250);
}
