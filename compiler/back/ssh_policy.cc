#include "compiler/back/ssh_policy.h"

#include "compiler/back/json_writer.h"

namespace aclc::tailcfg {

namespace {

template <typename Writer>
void write_policy(Writer& w, const std::vector<ir::NodeSshRule>& rules,
                  const std::string& control_url) {
  w.StartObject();
  w.Key("rules");
  w.StartArray();
  for (const ir::NodeSshRule& r : rules) {
    w.StartObject();
    w.Key("principals");
    w.StartArray();
    if (r.any) {
      w.StartObject();
      w.Key("any");
      w.Bool(true);
      w.EndObject();
    }
    for (const Addr& a : r.principals) {
      w.StartObject();
      w.Key("nodeIP");
      json_string(w, to_string(a));
      w.EndObject();
    }
    w.EndArray();
    w.Key("sshUsers");
    w.StartObject();
    for (const auto& [from, to] : r.users) {
      json_key(w, from);
      json_string(w, to);
    }
    w.EndObject();
    w.Key("action");
    w.StartObject();
    if (r.action == ir::SshAction::Check) {
      w.Key("holdAndDelegate");
      json_string(w, control_url +
                         "/machine/ssh/action/$SRC_NODE_ID/to/$DST_NODE_ID?local_user=$LOCAL_USER");
    } else {
      w.Key("accept");
      w.Bool(true);
      w.Key("allowAgentForwarding");
      w.Bool(true);
      w.Key("allowLocalPortForwarding");
      w.Bool(true);
      w.Key("allowRemotePortForwarding");
      w.Bool(true);
    }
    w.EndObject();
    if (!r.accept_env.empty()) {
      w.Key("acceptEnv");
      w.StartArray();
      for (const std::string& e : r.accept_env) json_string(w, e);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string ssh_policy_json(const std::vector<ir::NodeSshRule>& rules, int indent,
                            const std::string& control_url) {
  return write_json(indent, [&](auto& w) { write_policy(w, rules, control_url); });
}

std::string ssh_policy_json_all(const ir::SshProgram& prog, const Inventory& inv, int indent,
                                const std::string& control_url) {
  std::vector<size_t> order = hostname_order(inv);
  ir::SshCompiler compiler(prog, inv);
  return write_json(indent, [&](auto& w) {
    w.StartObject();
    for (size_t i : order) {
      json_key(w, inv.devices[i].hostname);
      write_policy(w, compiler.for_node(i), control_url);
    }
    w.EndObject();
  });
}

}  // namespace aclc::tailcfg
