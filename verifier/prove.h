// Proving assertions (assertions.h) with Z3, and the counterexample when one
// fails.
//
// Each destination of an assertion is one query over the encoding
// (encode.h) in the assertion's scope: deny/only ask for an allowed flow
// that the assertion forbids, accept for a denied flow it requires. UNSAT is
// a proof; SAT is a counterexample, made plausible first (existing devices,
// TCP, the asserted port) and then re-checked by the reference evaluator
// (ir::Evaluator::decide) before it is reported: a disagreement is an
// internal error, never a silent result. Unknown (the resource limit) is a
// failure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/evaluate.h"
#include "compiler/ir/ir.h"
#include "verifier/assertions.h"
#include "verifier/encode.h"

namespace aclc::verify {

enum class Outcome { Holds, Fails, Unknown, Internal };

struct Counterexample {
  ir::Flow flow;
  Identity src, dst;
  std::string src_text, dst_text;  // "phone (100.64.0.5)", "a new device
                                   // tagged tag:x (100.64.0.7)"
  std::string target;              // the destination it violates, as written
  ir::Verdict verdict = ir::Verdict::Deny;  // what the policy does with it
  // Rules (ids in the program) that match the flow, the deciding rule first.
  std::vector<size_t> rules;
  std::optional<size_t> deciding;  // the deciding rule, if any
};

struct AssertionResult {
  const Assertion* assertion = nullptr;
  Outcome outcome = Outcome::Holds;
  std::optional<Counterexample> counterexample;
  std::string detail;  // Unknown / Internal: what went wrong
};

struct ProveOptions {
  unsigned rlimit = kDefaultRlimit;
};

// Runs every assertion. `prog` is lower(pol, inv); `inv` may be empty.
std::vector<AssertionResult> prove(const std::vector<Assertion>& assertions,
                                   const policy::Policy& pol, const ir::Program& prog,
                                   const Inventory& inv, const ProveOptions& options = {});

// "100.64.0.5 -> 100.64.0.9 tcp/22"
std::string describe_flow(const Counterexample& c);

// One error per failing (or undecided) assertion, at its position: the
// counterexample and the rule that decides it at file:line.
void to_diagnostics(const std::vector<AssertionResult>& results, const policy::Policy& pol,
                    const ir::Program& prog, Diagnostics& diags);

// The accept rules that grant an allowed counterexample (the deciding one),
// as "acls[2] at policy.hujson:20:5".
std::string granting_rules(const Counterexample& c, const policy::Policy& pol,
                           const ir::Program& prog);

// One line per assertion ("holds [nodes] tag:mobile deny tag:prod:22
// (policy.hujson:40:5)") and a closing count, in input order.
std::vector<std::string> summary_lines(const std::vector<AssertionResult>& results);

}  // namespace aclc::verify
