// The lint's finding kinds, one file each; lint() in lint.cc runs them.
#pragma once

#include "verifier/lint.h"

namespace aclc::verify {

// Shadowed, dead, redundant and empty rules (lint_rules.cc).
void lint_rules(const policy::Policy& pol, const ir::Program& prog, const Inventory& inv,
                bool has_inventory, const LintOptions& options, LintReport& out);

// Groups, tags, hosts and ipsets never used; tags no device carries
// (lint_definitions.cc).
void lint_definitions(const policy::Policy& pol, const Inventory& inv, bool has_inventory,
                      LintReport& out);

// Tests that repeat what other tests assert (lint_tests.cc).
void lint_tests(const policy::Policy& pol, LintReport& out);

// "19:5"
std::string line_col(Pos p);

}  // namespace aclc::verify
