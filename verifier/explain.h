// Explaining one flow: is it allowed, which rules match, which one decides,
// and for a denied flow every rule or selector that would have to change
// (AWS's "blocked path" idea: all the blockers at once, not the first).
//
// The source and the destination host are selectors as the policy writes
// them (a device name, an address, a user, a tag, a group, a host alias);
// each of their addresses is explained. The reference evaluator decides;
// the explanation never disagrees with `decide`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/evaluate.h"
#include "compiler/ir/ir.h"

namespace aclc::verify {

struct ExplainRequest {
  std::string src;                  // "iphone", "tag:mobile", "100.64.0.1"
  std::string dst;                  // "overseer:22"
  std::optional<std::string> proto; // name or number; default tcp
};

// Why one rule does or does not match the flow.
struct RuleCheck {
  size_t rule = 0;       // id in the program
  bool src = false;      // the source is admitted
  bool dst = false;      // the destination is a target (any port)
  bool port = false;     // ... with the port
  bool proto = false;    // the protocol is one of the rule's
  bool matches = false;  // the evaluator's verdict for the rule
};

struct FlowExplanation {
  ir::Flow flow;
  std::string src_name, dst_name;  // device hostnames, or empty
  ir::Verdict verdict = ir::Verdict::Deny;
  std::optional<size_t> deciding;
  std::vector<RuleCheck> matching;  // every matching rule, in order
  // Denied flows: accept rules that miss in exactly the listed parts, and
  // the deny rule that decides (if any), in rule order.
  std::vector<RuleCheck> near_misses;
};

struct Explanation {
  std::vector<FlowExplanation> flows;  // one per (src address, dst address)
  bool allowed_all() const;
};

// Resolves the request against the policy and inventory. Errors (unknown
// selector, bad port or protocol, nothing to explain) go to `diags` with
// `where` as the file, and the result is nullopt.
std::optional<Explanation> explain(const ExplainRequest& req, const policy::Policy& pol,
                                   const ir::Program& prog, const Inventory& inv,
                                   const std::string& where, Diagnostics& diags);

// The explanation as text, rule positions as file:line:col of the policy.
std::string render_explanation(const Explanation& e, const policy::Policy& pol,
                               const ir::Program& prog);

}  // namespace aclc::verify
