// Presenting a semantic diff: text for people, json for programs (stable,
// docs/json-output.md "aclc diff"), markdown for a pull-request comment or
// a GitHub step summary.
//
// Every format says what changed completely: one entry per FlowGroup (a
// box of flows with one reason), sources and destinations named by the
// deciding rule's selectors, narrowed to devices or addresses when the box
// is only part of a selector. Text and markdown shorten a long device list
// ("and 12 more"); json never does. Output depends only on the inputs:
// byte-identical for identical input.
#pragma once

#include <string>

#include "compiler/ir/device.h"
#include "verifier/diff.h"

namespace aclc::verify {

struct DiffReport {
  std::string old_name;  // "old.hujson", "HEAD~1:policy.hujson"
  std::string new_name;
  // For which flows the result holds, as a phrase: "every address, with the
  // 12 devices of nodes.json".
  std::string scope;
  const Inventory* inv = nullptr;  // names of devices; may be empty
  // List device pairs (the inventory is the tailnet's, not made up).
  bool device_pairs = false;
  const SemanticDiff* diff = nullptr;
};

// "no change in access: the policies are equivalent" or "+ …" / "- …"
// lines, then "N flows added, M removed". ANSI colour only when asked.
std::string render_diff_text(const DiffReport& r, bool colour);

// One JSON object (version 1), newline-terminated.
std::string render_diff_json(const DiffReport& r);

// A heading, the summary line "N flows added, M removed", and a table each
// for the added and the removed flows.
std::string render_diff_markdown(const DiffReport& r);

// "tcp", "udp, icmp", "any protocol", "any protocol except tcp".
std::string describe_protocols(const ProtoSet& p);

// "*" for every port, else "22, 80-443".
std::string describe_ports(const PortSet& p);

}  // namespace aclc::verify
