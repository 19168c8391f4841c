#include "verifier/lint.h"

#include <algorithm>
#include <tuple>

#include "verifier/lint_checks.h"

namespace aclc::verify {

const char* lint_code(LintKind k) {
  switch (k) {
    case LintKind::DeadRule: return "dead-rule";
    case LintKind::ShadowedRule: return "shadowed-rule";
    case LintKind::RedundantRule: return "redundant-rule";
    case LintKind::EmptyRule: return "empty-rule";
    case LintKind::UnusedGroup: return "unused-group";
    case LintKind::UnusedTag: return "unused-tag";
    case LintKind::UnusedHost: return "unused-host";
    case LintKind::UnusedIPSet: return "unused-ipset";
    case LintKind::UncarriedTag: return "uncarried-tag";
    case LintKind::DuplicateTest: return "duplicate-test";
    case LintKind::Incomplete: return "lint-incomplete";
  }
  return "lint";
}

std::string line_col(Pos p) { return std::to_string(p.line) + ":" + std::to_string(p.col); }

LintReport lint(const policy::Policy& pol, const ir::Program& prog, const Inventory& inv,
                bool has_inventory, const LintOptions& options) {
  LintReport out;
  if (options.check_rules) {
    LintOptions opts = options;
    if (opts.nodes_file.empty()) opts.nodes_file = inv.file;
    lint_rules(pol, prog, inv, has_inventory, opts, out);
  }
  lint_definitions(pol, inv, has_inventory, out);
  lint_tests(pol, out);
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [](const LintFinding& a, const LintFinding& b) {
                     return std::make_tuple(a.pos.offset, a.pos.line, static_cast<int>(a.kind)) <
                            std::make_tuple(b.pos.offset, b.pos.line, static_cast<int>(b.kind));
                   });
  return out;
}

void to_diagnostics(const LintReport& report, const std::string& file, bool strict,
                    Diagnostics& diags) {
  for (const LintFinding& f : report.findings) {
    Diagnostic d;
    d.severity = strict ? Severity::Error : Severity::Warning;
    d.file = file;
    d.pos = f.pos;
    d.message = f.message;
    d.code = lint_code(f.kind);
    d.hint = f.hint;
    diags.add(std::move(d));
  }
}

}  // namespace aclc::verify
