// Lint: exact findings about a valid policy that Tailscale accepts without a
// word, each at the position of the thing it is about.
//
// Rules (decided with Z3, verifier/encode.h; exact, not syntactic):
//   * dead-rule: every flow the rule matches is decided first by other
//     rules and at least one of them has the other action, so the rule never
//     takes effect ("rule at 19:5 never applies: every flow it matches is
//     accepted by rules at 10:5, 16:5").
//   * shadowed-rule: aclc's ordered acls (a policy with deny rules): every
//     flow is already decided, with the same action, by earlier acls (for a
//     grant: by the acls or by other grants). Removing it changes nothing.
//   * redundant-rule: an accept-only policy (Tailscale's semantics, order
//     irrelevant): the rule is covered by the union of other rules.
//   * empty-rule: the rule matches no flow at all.
// The covering rules named are a minimal set (an unsat core over assumption
// literals, then shrunk by dropping members while the cover still holds), so
// shadowing by a union (two /25s covering a /24) is found, and each named
// rule is needed. When a rule with the other action decides some of the
// rule's flows it is named too (Batfish's Different_Action).
// Rules are checked one by one against the rules not already reported, so
// all reported shadowed/redundant rules can be removed together and the
// policy keeps its meaning (of two identical rules, one is reported).
// Scopes: symbolic (every device that could join) always; with an inventory
// also the nodes scope (the devices that exist) for the rules the symbolic
// check keeps. Each rule finding says its scope. A rule the solver cannot
// decide within its resource limit gets a lint-incomplete finding: unknown
// is never reported as clean.
//
// Definitions and tests (syntactic, exact over the decoded policy):
//   * unused-group, unused-tag, unused-host, unused-ipset: never named by a
//     rule, test, ssh rule, sshTest, nodeAttr, autoApprover, ipset, other
//     group or tag owner list, or the assertions.
//   * uncarried-tag (only with an inventory): a tagOwners tag no device has.
//   * duplicate-test: a tests entry (same src, proto, accept/deny and
//     destination) that an earlier entry already asserts; a test all of
//     whose entries are duplicates is reported once, as a whole.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"
#include "verifier/encode.h"

namespace aclc::verify {

enum class LintKind {
  DeadRule,
  ShadowedRule,
  RedundantRule,
  EmptyRule,
  UnusedGroup,
  UnusedTag,
  UnusedHost,
  UnusedIPSet,
  UncarriedTag,
  DuplicateTest,
  Incomplete,
};

// The stable diagnostic code: "dead-rule", "unused-group", ...
const char* lint_code(LintKind k);

struct LintFinding {
  LintKind kind = LintKind::Incomplete;
  Pos pos;              // the rule, definition or test entry
  std::string message;  // complete sentence, positions as "line:col"
  std::string hint;     // a suggested fix, may be empty
  // Rule findings: the minimal covering set (policy positions, in policy
  // order), whether one of them has the other action, and the scope.
  std::vector<Pos> covering;
  bool different_action = false;
  Scope scope = Scope::Symbolic;
};

struct LintOptions {
  bool check_rules = true;    // the solver-backed rule checks
  unsigned rlimit = kDefaultRlimit;
  // For messages in the nodes scope ("with the devices in nodes.json").
  std::string nodes_file;
};

struct LintReport {
  std::vector<LintFinding> findings;  // sorted by position, then kind
  size_t rules_checked = 0;           // policy rules (acls + grants) checked
  size_t solver_queries = 0;
};

// `prog` must be lower(pol, inv); `has_inventory` says whether `inv` is the
// tailnet's device list (it may be empty otherwise). Deterministic: the same
// inputs give the same report.
LintReport lint(const policy::Policy& pol, const ir::Program& prog, const Inventory& inv,
                bool has_inventory, const LintOptions& options = {});

// Appends each finding as a warning, or as an error when `strict`.
void to_diagnostics(const LintReport& report, const std::string& file, bool strict,
                    Diagnostics& diags);

}  // namespace aclc::verify
