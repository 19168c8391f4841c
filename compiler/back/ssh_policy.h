// The SSH back end: per-node SSHPolicy JSON exactly as Tailscale's control
// plane sends it (MapResponse.SSHPolicy, tailscale-policy.md §5.3):
//
//   {"rules": [{"principals": [{"nodeIP": "100.64.0.1"}, ...],
//               "sshUsers": {"root": "", "ubuntu": "ubuntu"},
//               "action": {"accept": true, "allowAgentForwarding": true,
//                          "allowLocalPortForwarding": true,
//                          "allowRemotePortForwarding": true},
//               "acceptEnv": ["GIT_*"]}]}
//
// A check rule's action is {"holdAndDelegate": "<control>/machine/ssh/action/
// $SRC_NODE_ID/to/$DST_NODE_ID?local_user=$LOCAL_USER"} and nothing else
// (checkPeriod is not on the wire). "acceptEnv" is omitted when empty;
// sshUsers keys are sorted (Go map order); a node with nothing gets
// {"rules": []}. Output is deterministic.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "compiler/ir/device.h"
#include "compiler/ir/ssh.h"

namespace aclc::tailcfg {

// The control server URL in holdAndDelegate; Tailscale's recordings show
// this placeholder host.
inline constexpr const char* kDefaultControlURL = "https://unused";

// One node's SSHPolicy object. `indent` > 0 pretty-prints.
std::string ssh_policy_json(const std::vector<ir::NodeSshRule>& rules, int indent = 0,
                            const std::string& control_url = kDefaultControlURL);

// {"<hostname>": SSHPolicy, ...} for every device, sorted by hostname.
std::string ssh_policy_json_all(const ir::SshProgram& prog, const Inventory& inv,
                                int indent = 0,
                                const std::string& control_url = kDefaultControlURL);

}  // namespace aclc::tailcfg
