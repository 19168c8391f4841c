// Printing a decoded Policy back as a policy file.
//
// The output is standard JSON (valid HuJSON), two-space indented, sections in
// a fixed order (groups, tagOwners, hosts, ipsets, postures,
// defaultSrcPosture, acls, grants, ssh, autoApprovers, nodeAttrs, tests,
// sshTests, the pass-through sections, assertions), each selector as
// written. Parsing the output gives a Policy that means the same thing: the
// same rules in the same order, and the sections that decide nothing are
// carried verbatim. Comments are not kept (the Policy does not hold them).
//
// Only what the Policy says is printed: `acls` and `grants` appear when the
// file had them (an empty `acls` list denies everything, no list at all
// allows everything).
#pragma once

#include <string>

#include "compiler/front/policy.h"

namespace aclc::policy {

struct PrintOptions {
  // Lines of a leading comment (each printed as "// line"); none if empty.
  std::string header;
};

std::string print_policy(const Policy& pol, const PrintOptions& opts = {});

// A value as compact JSON (numbers as their literal).
std::string value_json(const hujson::Value& v);

}  // namespace aclc::policy
