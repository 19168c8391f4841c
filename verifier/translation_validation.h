// Translation validation: a proof, per device, that the compiled table is
// the policy.
//
// The table builder is a compiler; a bug there would make a node enforce
// something the policy does not say, silently. So before anything is
// written, Z3 checks for each device D:
//
//   for every flow:  table_D allows it  <=>  dst is enforced by D
//                                            and the policy allows it
//
// where "the policy allows" is verify::Encoding::allowed() (the same
// semantics as ir::Evaluator::decide) and "enforced by D" is
// table::enforced_addresses. Unsat of the negation is the proof; a model is
// a witness packet on which the two disagree, which is a compiler bug.
//
// The table is taken as its zones (plain data from compiler/back/table.h)
// so that the verifier does not link the back end it checks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "compiler/back/table.h"
#include "compiler/ir/evaluate.h"
#include "verifier/encode.h"

namespace aclc::verify {

struct Mismatch {
  ir::Flow flow;
  bool policy_allows = false;           // by ir::Evaluator on the flow
  bool table_allows = false;            // by the zones on the flow
  const ir::Rule* deciding = nullptr;   // the policy's deciding rule, if any
};

struct Validation {
  Answer answer = Answer::Unknown;  // Unsat: proved; Sat: mismatch
  std::optional<Mismatch> mismatch;
  bool proved() const { return answer == Answer::Unsat; }
};

// Each device is one query over the rules that can reach it (see
// policy_for in the .cc for why leaving the others out is exact).
class TranslationValidator {
 public:
  // `enc` must be in Scope::Nodes and outlive the validator.
  explicit TranslationValidator(const Encoding& enc, unsigned rlimit = kDefaultRlimit);

  Validation validate(size_t device, const std::vector<table::Zone>& zones);

  // The zones' verdict for one flow (the table's semantics, for witnesses).
  static bool zones_allow(const std::vector<table::Zone>& zones, const ir::Flow& f);

 private:
  z3::expr table_formula(const std::vector<table::Zone>& zones) const;
  z3::expr policy_for(const Device& d, const IPSet& enforced) const;

  const Encoding& enc_;
  ir::Evaluator eval_;
  unsigned rlimit_;
};

// Equivalence of two programs (for `aclc lower`: the aclc policy and its
// accept-only rewrite) on the flows to `dsts`. Both encodings must be in
// Scope::Nodes, in one z3::context (so they share the packet variables),
// over the same inventory.
struct Equivalence {
  Answer answer = Answer::Unknown;  // Unsat: proved equal
  std::optional<ir::Flow> witness;  // Sat: a flow they decide differently
  bool first_allows = false, second_allows = false;
  bool proved() const { return answer == Answer::Unsat; }
};
// With `except_port_zero`, flows to port 0 are left out of the proof.
Equivalence prove_equivalent(const Encoding& first, const Encoding& second, const IPSet& dsts,
                             bool except_port_zero = false, unsigned rlimit = kDefaultRlimit);

// "tcp 100.64.0.2 -> 100.64.0.1:22" (protocol by name when known).
std::string describe_flow(const ir::Flow& f);

// The message for a mismatch on device `name`, naming the deciding rule.
std::string describe_mismatch(const std::string& name, const Mismatch& m);

}  // namespace aclc::verify
