// Shadowed, dead, redundant and empty rules, decided exactly with Z3.
//
// One incremental QF_BV solver per scope holds, for every policy rule e, two
// assumption literals: sel_e -> matches(e) ("a flow of e") and
// en_e -> !covers(e) ("not decided by e"). Rule i is covered by candidates C
// iff {sel_i} + {en_j : j in C} is UNSAT; the unsat core names the rules
// responsible, and dropping members while the query stays UNSAT makes it
// minimal. covers(e) is where e decides: in an ordered policy an acl covers
// the flows it decides by first match (so a named rule really decides some
// of the flows, and its action is the one those flows get), a grant the
// flows it matches that no acl matches; in an accept-only policy a rule
// covers the flows it matches.
#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "verifier/lint_checks.h"

namespace aclc::verify {
namespace {

// One policy rule (acls[i] or grants[i]): the IR rules it lowered to.
struct Entry {
  ir::Origin origin = ir::Origin::Acl;
  size_t index = 0;
  Pos pos;
  ir::Action action = ir::Action::Accept;
  std::vector<size_t> rules;         // indexes into Program::rules
  std::vector<std::string> posture;  // effective srcPosture, sorted
  bool via = false;
  bool app = false;  // a grant that also carries application capabilities
  // Per IR rule: its protocols and destination ports. Identity-free, so a
  // cheap and exact test in both scopes of whether two rules can share a
  // flow at all.
  std::vector<std::pair<ProtoSet, PortSet>> shapes;
};

bool protos_overlap(const ProtoSet& a, const ProtoSet& b) {
  for (int p : a) {
    if (b.contains(static_cast<uint8_t>(p))) return true;
  }
  return false;
}

// Whether some flow could match both rules (false: certainly none).
bool may_overlap(const Entry& a, const Entry& b) {
  for (const auto& [pa, qa] : a.shapes) {
    for (const auto& [pb, qb] : b.shapes) {
      if (qa.overlaps(qb) && protos_overlap(pa, pb)) return true;
    }
  }
  return false;
}

std::vector<std::string> posture_names(const std::vector<policy::Selector>& own,
                                       const std::vector<policy::Selector>& dflt) {
  const std::vector<policy::Selector>& use = own.empty() ? dflt : own;
  std::vector<std::string> out;
  for (const policy::Selector& s : use) out.push_back(s.text);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<Entry> entries_of(const policy::Policy& pol, const ir::Program& prog) {
  std::vector<Entry> out;
  std::map<std::pair<int, size_t>, size_t> at;
  for (const ir::Rule& r : prog.rules) {
    if (r.is_cap() || r.companion || r.origin == ir::Origin::Default) continue;
    auto key = std::make_pair(static_cast<int>(r.origin), r.index);
    auto it = at.find(key);
    if (it == at.end()) {
      Entry e;
      e.origin = r.origin;
      e.index = r.index;
      e.pos = r.pos;
      e.action = r.action;
      e.via = !r.via.empty();
      if (r.origin == ir::Origin::Acl && r.index < pol.acls.size()) {
        e.posture = posture_names(pol.acls[r.index].src_posture, pol.default_src_posture);
      } else if (r.origin == ir::Origin::Grant && r.index < pol.grants.size()) {
        e.posture = posture_names(pol.grants[r.index].src_posture, pol.default_src_posture);
        e.app = !pol.grants[r.index].app.empty();
      }
      it = at.emplace(key, out.size()).first;
      out.push_back(std::move(e));
    }
    out[it->second].rules.push_back(r.id);
    PortSet ports;
    for (const ir::DstGroup& g : r.dst) {
      for (const PortRange& pr : g.ports) ports.add(pr);
    }
    out[it->second].shapes.emplace_back(r.protocols(), std::move(ports));
  }
  return out;
}

// A rule j may stand for flows of rule i only if every device i admits
// passes j's posture: j has none, or i has one and j allows at least the
// same postures (a srcPosture list admits a device satisfying any of them).
bool posture_covers(const Entry& j, const Entry& i) {
  if (j.posture.empty()) return true;
  if (i.posture.empty()) return false;
  return std::includes(j.posture.begin(), j.posture.end(), i.posture.begin(), i.posture.end());
}

const char* verb(ir::Action a) { return a == ir::Action::Accept ? "accepted" : "denied"; }

std::string positions(const std::vector<Pos>& ps) {
  std::string s = ps.size() == 1 ? "rule at " : "rules at ";
  for (size_t k = 0; k < ps.size(); ++k) s += (k ? ", " : "") + line_col(ps[k]);
  return s;
}

class RuleLinter {
 public:
  RuleLinter(const policy::Policy& pol, const ir::Program& prog, const Inventory& inv,
             const LintOptions& opts, LintReport& out)
      : pol_(pol), prog_(prog), inv_(inv), opts_(opts), out_(out),
        entries_(entries_of(pol, prog)), reported_(entries_.size(), false) {}

  void run(Scope scope) {
    z3::context ctx;
    try {
      run_in(ctx, scope);
    } catch (const z3::exception& e) {
      // The literals belong to this context: drop them before it goes.
      sel_.clear();
      en_.clear();
      LintFinding f;
      f.kind = LintKind::Incomplete;
      f.scope = scope;
      f.message = std::string("the rule checks stopped: Z3 failed: ") + e.msg();
      out_.findings.push_back(std::move(f));
      return;
    }
    sel_.clear();
    en_.clear();
  }

 private:
  void run_in(z3::context& ctx, Scope scope) {
    Encoding enc(ctx, pol_, prog_, inv_, scope);
    z3::solver s = make_solver(ctx, opts_.rlimit);
    s.add(enc.domain());

    auto any = [&](const std::vector<z3::expr>& xs) {
      z3::expr_vector v(ctx);
      for (const z3::expr& x : xs) v.push_back(x);
      return xs.empty() ? ctx.bool_val(false) : z3::mk_or(v);
    };
    std::vector<z3::expr> acl_matches;
    for (const ir::Rule& r : prog_.rules) {
      if (r.origin == ir::Origin::Acl) acl_matches.push_back(enc.matches(r.id));
    }
    const z3::expr no_acl = !any(acl_matches);

    sel_.clear();
    en_.clear();
    for (size_t e = 0; e < entries_.size(); ++e) {
      const Entry& en = entries_[e];
      std::vector<z3::expr> m, c;
      for (size_t r : en.rules) {
        m.push_back(enc.matches(r));
        c.push_back(!prog_.has_deny ? enc.matches(r)
                    : en.origin == ir::Origin::Acl ? enc.decides(r)
                                                   : enc.matches(r) && no_acl);
      }
      std::string n = std::to_string(e);
      sel_.push_back(ctx.bool_const(("lint.sel." + n).c_str()));
      en_.push_back(ctx.bool_const(("lint.en." + n).c_str()));
      s.add(z3::implies(sel_.back(), any(m)));
      s.add(z3::implies(en_.back(), !any(c)));
    }

    for (size_t i : check_order()) {
      // A grant with `app` gives capabilities too: its packets being
      // covered does not make it removable.
      if (reported_[i] || entries_[i].app) continue;
      if (scope == Scope::Symbolic) ++out_.rules_checked;
      check_rule(s, i, scope);
    }
  }

  // Ordered policies: acls front to back (a rule is judged against the
  // earlier ones, which stay), then grants back to front. Accept-only:
  // back to front, so that of two equal rules the later one is reported.
  std::vector<size_t> check_order() const {
    std::vector<size_t> acls, grants;
    for (size_t e = 0; e < entries_.size(); ++e) {
      (entries_[e].origin == ir::Origin::Acl ? acls : grants).push_back(e);
    }
    std::vector<size_t> out;
    if (prog_.has_deny) {
      out = acls;
      out.insert(out.end(), grants.rbegin(), grants.rend());
    } else {
      for (size_t e = entries_.size(); e-- > 0;) out.push_back(e);
    }
    return out;
  }

  std::vector<size_t> candidates(size_t i, Scope scope) const {
    const Entry& ri = entries_[i];
    std::vector<size_t> out;
    // A via rule also steers routing (which router carries the traffic),
    // which the flow semantics does not see: only say when it is empty.
    if (ri.via) return out;
    for (size_t j = 0; j < entries_.size(); ++j) {
      if (j == i || reported_[j]) continue;
      const Entry& rj = entries_[j];
      if (prog_.has_deny && ri.origin == ir::Origin::Acl) {
        // First match: only earlier acls decide before it.
        if (rj.origin != ir::Origin::Acl || rj.index >= ri.index) continue;
      }
      if (!posture_covers(rj, ri)) continue;
      if (!may_overlap(ri, rj)) continue;
      // The symbolic scope over-approximates `via` (any router may join),
      // so a via rule there cannot vouch for another rule's flows.
      if (scope == Scope::Symbolic && rj.via) continue;
      out.push_back(j);
    }
    return out;
  }

  Answer query(z3::solver& s, size_t i, const std::vector<size_t>& with) {
    z3::expr_vector a(s.ctx());
    a.push_back(sel_[i]);
    for (size_t j : with) a.push_back(en_[j]);
    ++out_.solver_queries;
    return check(s, a);
  }

  // The candidates named in the last UNSAT answer's core.
  std::vector<size_t> core_members(z3::solver& s, const std::vector<size_t>& from) {
    z3::expr_vector core = s.unsat_core();
    std::set<unsigned> ids;
    for (unsigned k = 0; k < core.size(); ++k) ids.insert(core[static_cast<int>(k)].id());
    std::vector<size_t> out;
    for (size_t j : from) {
      if (ids.count(en_[j].id())) out.push_back(j);
    }
    return out;
  }

  void check_rule(z3::solver& s, size_t i, Scope scope) {
    std::vector<size_t> cand = candidates(i, scope);
    Answer a = query(s, i, cand);
    if (a == Answer::Sat) return;
    if (a == Answer::Unknown) {
      incomplete(i, scope);
      return;
    }
    // Minimise: drop members (latest first) while the rest still covers.
    std::vector<size_t> core = core_members(s, cand);
    for (size_t k = core.size(); k-- > 0;) {
      if (k >= core.size()) continue;
      std::vector<size_t> rest = core;
      rest.erase(rest.begin() + static_cast<long>(k));
      if (query(s, i, rest) == Answer::Unsat) core = core_members(s, rest);
    }
    report(i, core, scope);
  }

  std::string scope_phrase(Scope scope) const {
    if (scope == Scope::Symbolic) return " (for any devices)";
    std::string f = opts_.nodes_file.empty() ? "the device list" : opts_.nodes_file;
    return " (with the devices in " + f + ")";
  }

  void incomplete(size_t i, Scope scope) {
    LintFinding f;
    f.kind = LintKind::Incomplete;
    f.pos = entries_[i].pos;
    f.scope = scope;
    f.message = "could not decide within the solver's resource limit whether the rule at " +
                line_col(f.pos) + " is covered by other rules" + scope_phrase(scope);
    f.hint = "split the rule or simplify its selectors";
    out_.findings.push_back(std::move(f));
  }

  void report(size_t i, std::vector<size_t> core, Scope scope) {
    const Entry& ri = entries_[i];
    std::sort(core.begin(), core.end(), [&](size_t a, size_t b) {
      return entries_[a].pos.offset < entries_[b].pos.offset;
    });
    LintFinding f;
    f.pos = ri.pos;
    f.scope = scope;
    std::string at = "rule at " + line_col(ri.pos);
    if (core.empty()) {
      f.kind = LintKind::EmptyRule;
      f.message = at + " matches no flow" + scope_phrase(scope) +
                  ": its sources, destinations, ports and protocols admit nothing together";
      f.hint = "remove it, or fix the selectors that resolve to nothing";
      out_.findings.push_back(std::move(f));
      reported_[i] = true;
      return;
    }
    std::vector<Pos> by_action[2];
    for (size_t j : core) {
      f.covering.push_back(entries_[j].pos);
      by_action[static_cast<int>(entries_[j].action)].push_back(entries_[j].pos);
      if (entries_[j].action != ri.action) f.different_action = true;
    }
    std::string how;
    for (ir::Action act : {ir::Action::Accept, ir::Action::Deny}) {
      const std::vector<Pos>& ps = by_action[static_cast<int>(act)];
      if (ps.empty()) continue;
      how += (how.empty() ? "" : " or ") + std::string(verb(act)) + " by " + positions(ps);
    }
    if (f.different_action) {
      f.kind = LintKind::DeadRule;
      f.message = at + " never applies" + scope_phrase(scope) + ": every flow it matches is " + how;
      f.hint = prog_.has_deny && ri.origin == ir::Origin::Acl
                   ? "remove it, or move it above the rules that decide its flows"
                   : "remove it, or narrow the rules that decide its flows";
    } else if (prog_.has_deny) {
      f.kind = LintKind::ShadowedRule;
      f.message = at + " is shadowed" + scope_phrase(scope) + ": every flow it matches is already " +
                  how;
      f.hint = "remove it: it changes nothing";
    } else {
      f.kind = LintKind::RedundantRule;
      f.message = at + " is redundant" + scope_phrase(scope) + ": every flow it matches is also " +
                  how;
      f.hint = "remove it: the other rules already allow every flow it allows";
    }
    out_.findings.push_back(std::move(f));
    reported_[i] = true;
  }

  const policy::Policy& pol_;
  const ir::Program& prog_;
  const Inventory& inv_;
  const LintOptions& opts_;
  LintReport& out_;
  std::vector<Entry> entries_;
  std::vector<bool> reported_;
  std::vector<z3::expr> sel_, en_;
};

}  // namespace

void lint_rules(const policy::Policy& pol, const ir::Program& prog, const Inventory& inv,
                bool has_inventory, const LintOptions& options, LintReport& out) {
  RuleLinter linter(pol, prog, inv, options, out);
  linter.run(Scope::Symbolic);
  if (has_inventory) linter.run(Scope::Nodes);
}

}  // namespace aclc::verify
