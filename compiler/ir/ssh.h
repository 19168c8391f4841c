// SSH rules in the IR: a policy's `ssh` section with every selector resolved
// against the inventory, and what each node receives from it.
//
// An SshRule keeps its sources as a list, not a set: Tailscale sends one
// principal per source address and does not deduplicate (a device matched
// twice, e.g. once per tag through autogroup:tagged, appears twice).
//
// node_ssh_rules() is Tailscale's per-node compilation (tailscale-policy.md
// §5.3) in IR terms; the back end (compiler/back/ssh_policy.h) only spells it
// as JSON, and the sshTests runner evaluates it the way the client does
// (decide_ssh: first match over the node's rules).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/ir/addr.h"
#include "compiler/ir/device.h"

namespace aclc::ir {

enum class SshAction : uint8_t { Accept, Check };

// One entry of a rule's `users`.
struct SshUser {
  enum class Kind : uint8_t {
    Literal,    // a Unix user name ("root", "ubuntu", even "group:x")
    NonRoot,    // autogroup:nonroot: any user but root
    Localpart,  // localpart:*@<domain>: the source user's own local part
  };
  Kind kind = Kind::Literal;
  std::string name;  // Literal: the user; Localpart: the domain
};

// One source of a rule: a device (all its addresses) or a bare address
// (an IP or host alias in `src`, which names no device).
struct SshSource {
  int device = -1;  // index into Inventory::devices, or -1
  Addr addr{};      // when device < 0
};

struct SshRule {
  size_t index = 0;  // ssh[index]
  Pos pos;           // the policy entry
  SshAction action = SshAction::Accept;
  bool src_any = false;            // "*" in src: principal {"any": true}
  std::vector<SshSource> src;      // policy order, duplicates kept
  std::vector<size_t> dst;         // devices named by dst (not self), unique
  bool dst_self = false;           // autogroup:self in dst
  std::vector<SshUser> users;
  // checkPeriod as written ("" when absent); the wire does not carry it.
  std::string check_period;
  std::vector<std::string> accept_env;

  bool has_localpart() const;
  // "ssh[2]", for messages.
  std::string origin_name() const { return "ssh[" + std::to_string(index) + "]"; }
};

struct SshProgram {
  std::vector<SshRule> rules;
};

// One tailcfg.SSHRule of one node.
struct NodeSshRule {
  size_t rule = 0;                // index into SshProgram::rules
  bool any = false;               // a principal {"any": true}
  std::vector<Addr> principals;   // one {"nodeIP"} each, duplicates kept
  // sshUsers: requested user -> local user; "" means "not this user",
  // "=" means "the same name". std::map orders keys as Go marshals them.
  std::map<std::string, std::string> users;
  SshAction action = SshAction::Accept;
  std::vector<std::string> accept_env;
};

// What inv.devices[node] receives, in Tailscale's order: the rules in policy
// order, each expanded per §5.3 (localpart users split per source user; a
// source node of a localpart rule also receives its own user's rules), then
// check rules moved before accept rules (stable).
std::vector<NodeSshRule> node_ssh_rules(const SshProgram& prog, const Inventory& inv,
                                        size_t node);

// The same for many nodes: each rule's sources are grouped by user once,
// so a node costs what it receives. Program and Inventory must outlive it.
class SshCompiler {
 public:
  SshCompiler(const SshProgram& prog, const Inventory& inv);
  ~SshCompiler();
  SshCompiler(const SshCompiler&) = delete;
  SshCompiler& operator=(const SshCompiler&) = delete;

  std::vector<NodeSshRule> for_node(size_t node) const;

  struct Grouped;  // a rule's sources by owning user

 private:
  const SshProgram& prog_;
  const Inventory& inv_;
  std::vector<Grouped> groups_;  // per rule
};

enum class SshVerdict : uint8_t { Accept, Check, Deny };

// "accept", "check", "deny" (Tailscale's words in sshTests failures).
const char* ssh_verdict_name(SshVerdict v);

struct SshDecision {
  SshVerdict verdict = SshVerdict::Deny;
  std::optional<size_t> node_rule;  // index into the node's rules that matched
  std::string local_user;           // the user the session would run as
};

// The Tailscale client's decision for a connection from `src` asking for
// `ssh_user`: the first rule with a principal matching src whose sshUsers
// maps the user (exact key, else "*") to a non-empty local user decides.
// An empty user never matches.
SshDecision decide_ssh(const std::vector<NodeSshRule>& rules, const Addr& src,
                       std::string_view ssh_user);

}  // namespace aclc::ir
