// Tests that repeat what other tests already assert.
//
// Two tests entries assert the same thing when they have the same source,
// the same protocol (by number: "tcp" and "6" are one), the same kind
// (accept or deny) and the same destination as written. Sources and
// destinations are compared as written (trimmed): "alice@example.com" and a
// group containing only alice are different tests, because the group can
// change.
#include <map>
#include <string>
#include <tuple>

#include "compiler/front/proto.h"
#include "verifier/lint_checks.h"

namespace aclc::verify {
namespace {

std::string proto_key(const std::optional<policy::Str>& p) {
  if (!p || p->text.empty()) return "";
  std::string err;
  if (auto n = policy::parse_proto_number(p->text, &err)) return std::to_string(*n);
  return p->text;
}

}  // namespace

void lint_tests(const policy::Policy& pol, LintReport& out) {
  using Key = std::tuple<std::string, std::string, bool, std::string>;
  std::map<Key, Pos> first;  // each assertion -> the entry that made it first
  for (const policy::AclTest& t : pol.tests) {
    if (!t.src || t.src->text.empty()) continue;
    std::string proto = proto_key(t.proto);
    struct Dup {
      const policy::Str* entry;
      bool accept;
      Pos earlier;
    };
    std::vector<Dup> dups;
    std::vector<Pos> earlier_tests;  // tests (by entry) repeated, in order
    size_t entries = 0;
    for (bool accept : {true, false}) {
      for (const policy::Str& e : accept ? t.accept : t.deny) {
        ++entries;
        Key k{t.src->text, proto, accept, e.text};
        auto [it, fresh] = first.emplace(k, e.pos);
        if (!fresh) dups.push_back({&e, accept, it->second});
      }
    }
    if (dups.empty()) continue;
    if (dups.size() == entries) {
      // The whole test repeats others: name the entries it repeats.
      LintFinding f;
      f.kind = LintKind::DuplicateTest;
      f.pos = t.pos;
      std::string where;
      for (const Dup& d : dups) {
        std::string lc = line_col(d.earlier);
        if (where.find(lc) == std::string::npos) where += (where.empty() ? "" : ", ") + lc;
      }
      f.message = "test at " + line_col(t.pos) + " repeats what is already asserted at " + where +
                  ": same src \"" + t.src->text + "\", proto and destinations";
      f.hint = "remove the test";
      out.findings.push_back(std::move(f));
      continue;
    }
    for (const Dup& d : dups) {
      LintFinding f;
      f.kind = LintKind::DuplicateTest;
      f.pos = d.entry->pos;
      f.message = std::string(d.accept ? "accept" : "deny") + " entry \"" + d.entry->text +
                  "\" for src \"" + t.src->text + "\" is already asserted at " +
                  line_col(d.earlier);
      f.hint = "remove the entry";
      out.findings.push_back(std::move(f));
    }
  }
}

}  // namespace aclc::verify
