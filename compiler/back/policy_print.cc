#include "compiler/back/policy_print.h"
#include "compiler/common/json_text.h"

#include <cstdio>
#include <sstream>

namespace aclc::policy {
namespace {

std::string quote(std::string_view s) { return json_quote(s); }

std::string ports_text(const std::vector<PortRange>& ports) {
  std::string s;
  for (const PortRange& r : ports) {
    if (!s.empty()) s += ",";
    s += to_string(r);  // "*", "22", "80-443"
  }
  return s;
}

// A JSON object built member by member, printed with nesting.
class Obj {
 public:
  explicit Obj(int indent) : indent_(indent) {}
  void raw(const std::string& key, const std::string& json) { members_.push_back({key, json}); }
  void str(const std::string& key, const std::string& v) { raw(key, quote(v)); }
  void list(const std::string& key, const std::vector<std::string>& items) {
    raw(key, inline_list(items));
  }
  bool empty() const { return members_.empty(); }
  std::string print() const {
    if (members_.empty()) return "{}";
    std::string pad(size_t(indent_ + 2), ' ');
    std::string s = "{\n";
    for (size_t i = 0; i < members_.size(); ++i) {
      s += pad + quote(members_[i].first) + ": " + members_[i].second;
      s += i + 1 < members_.size() ? ",\n" : "\n";
    }
    return s + std::string(size_t(indent_), ' ') + "}";
  }
  // ["a", "b"] on one line.
  static std::string inline_list(const std::vector<std::string>& items) {
    std::string s = "[";
    for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + quote(items[i]);
    return s + "]";
  }

 private:
  int indent_;
  std::vector<std::pair<std::string, std::string>> members_;
};

// One item per line.
std::string block_list(const std::vector<std::string>& items, int indent) {
  if (items.empty()) return "[]";
  std::string pad(size_t(indent + 2), ' ');
  std::string s = "[\n";
  for (size_t i = 0; i < items.size(); ++i)
    s += pad + items[i] + (i + 1 < items.size() ? ",\n" : "\n");
  return s + std::string(size_t(indent), ' ') + "]";
}

std::vector<std::string> texts(const std::vector<Selector>& v) {
  std::vector<std::string> out;
  for (const Selector& s : v) out.push_back(s.text);
  return out;
}

std::vector<std::string> texts(const std::vector<Str>& v) {
  std::vector<std::string> out;
  for (const Str& s : v) out.push_back(s.text);
  return out;
}

std::string app_json(const std::vector<AppCap>& app, int indent) {
  Obj o(indent);
  for (const AppCap& c : app) {
    std::vector<std::string> vals;
    for (const hujson::Value& v : c.values) vals.push_back(value_json(v));
    std::string s = "[";
    for (size_t i = 0; i < vals.size(); ++i) s += (i ? ", " : "") + vals[i];
    o.raw(c.name.text, s + "]");
  }
  return o.print();
}

std::string acl_json(const AclRule& a, int indent) {
  Obj o(indent);
  o.str("action", a.action == Action::Deny ? "deny" : "accept");
  o.list("src", texts(a.src));
  if (a.proto) o.str("proto", a.proto->text);
  std::vector<std::string> dst;
  for (const DstSelector& d : a.dst) dst.push_back(d.target.text + ":" + ports_text(d.ports));
  o.list("dst", dst);
  if (!a.src_posture.empty()) o.list("srcPosture", texts(a.src_posture));
  return o.print();
}

std::string grant_json(const Grant& g, int indent) {
  Obj o(indent);
  o.list("src", texts(g.src));
  o.list("dst", texts(g.dst));
  if (!g.ip.empty()) {
    std::vector<std::string> ip;
    for (const GrantIp& x : g.ip) ip.push_back(x.text);
    o.list("ip", ip);
  }
  if (!g.app.empty()) o.raw("app", app_json(g.app, indent + 2));
  if (!g.via.empty()) o.list("via", texts(g.via));
  if (!g.src_posture.empty()) o.list("srcPosture", texts(g.src_posture));
  return o.print();
}

std::string ssh_json(const SshRule& r, int indent) {
  Obj o(indent);
  o.str("action", r.action == SshAction::Check ? "check" : "accept");
  o.list("src", texts(r.src));
  o.list("dst", texts(r.dst));
  o.list("users", texts(r.users));
  if (r.check_period) o.str("checkPeriod", r.check_period->text);
  if (!r.accept_env.empty()) o.list("acceptEnv", texts(r.accept_env));
  if (!r.src_posture.empty()) o.list("srcPosture", texts(r.src_posture));
  if (!r.recorder.empty()) o.list("recorder", texts(r.recorder));
  if (r.enforce_recorder) o.raw("enforceRecorder", "true");
  return o.print();
}

std::string test_json(const AclTest& t, int indent) {
  Obj o(indent);
  if (t.src) o.str("src", t.src->text);
  if (t.proto) o.str("proto", t.proto->text);
  if (t.has_accept) o.list("accept", texts(t.accept));
  if (t.has_deny) o.list("deny", texts(t.deny));
  if (t.src_posture_attrs) o.raw("srcPostureAttrs", value_json(*t.src_posture_attrs));
  return o.print();
}

std::string ssh_test_json(const SshTest& t, int indent) {
  Obj o(indent);
  if (t.src) o.str("src", t.src->text);
  o.list("dst", texts(t.dst));
  if (t.has_accept) o.list("accept", texts(t.accept));
  if (t.has_check) o.list("check", texts(t.check));
  if (t.has_deny) o.list("deny", texts(t.deny));
  if (t.src_posture_attrs) o.raw("srcPostureAttrs", value_json(*t.src_posture_attrs));
  return o.print();
}

template <typename T, typename F>
std::string items_json(const std::vector<T>& v, int indent, F f) {
  std::vector<std::string> items;
  for (const T& x : v) items.push_back(f(x, indent + 2));
  return block_list(items, indent);
}

}  // namespace

std::string value_json(const hujson::Value& v) {
  switch (v.kind) {
    case hujson::Kind::Null: return "null";
    case hujson::Kind::Bool: return v.boolean ? "true" : "false";
    case hujson::Kind::Number: return v.text;
    case hujson::Kind::String: return quote(v.text);
    case hujson::Kind::Array: {
      std::string s = "[";
      for (size_t i = 0; i < v.items.size(); ++i) s += (i ? "," : "") + value_json(v.items[i]);
      return s + "]";
    }
    case hujson::Kind::Object: {
      std::string s = "{";
      for (size_t i = 0; i < v.members.size(); ++i)
        s += (i ? "," : "") + quote(v.members[i].key) + ":" + value_json(v.members[i].value);
      return s + "}";
    }
  }
  return "null";
}

std::string print_policy(const Policy& pol, const PrintOptions& opts) {
  Obj root(0);
  if (!pol.groups.empty()) {
    Obj o(2);
    for (const Group& g : pol.groups) o.list(g.name.text, texts(g.members));
    root.raw("groups", o.print());
  }
  if (!pol.tag_owners.empty()) {
    Obj o(2);
    for (const TagOwner& t : pol.tag_owners) o.list(t.name.text, texts(t.owners));
    root.raw("tagOwners", o.print());
  }
  if (!pol.hosts.empty()) {
    Obj o(2);
    for (const Host& h : pol.hosts) o.str(h.name.text, h.value.text);
    root.raw("hosts", o.print());
  }
  if (!pol.ipsets.empty()) {
    Obj o(2);
    for (const IPSetDef& d : pol.ipsets) {
      std::vector<std::string> entries;
      for (const IPSetEntry& e : d.entries)
        entries.push_back((e.op == IPSetOp::Remove ? "remove " : "add ") + e.target.text);
      o.list(d.name.text, entries);
    }
    root.raw("ipsets", o.print());
  }
  if (!pol.postures.empty()) {
    Obj o(2);
    for (const Posture& p : pol.postures) o.list(p.name.text, texts(p.assertions));
    root.raw("postures", o.print());
  }
  if (!pol.default_src_posture.empty())
    root.list("defaultSrcPosture", texts(pol.default_src_posture));
  if (pol.has_acls || !pol.acls.empty()) root.raw("acls", items_json(pol.acls, 2, acl_json));
  if (pol.has_grants || !pol.grants.empty())
    root.raw("grants", items_json(pol.grants, 2, grant_json));
  if (pol.has_ssh || !pol.ssh.empty()) root.raw("ssh", items_json(pol.ssh, 2, ssh_json));
  const AutoApprovers& aa = pol.auto_approvers;
  if (!aa.routes.empty() || !aa.exit_node.empty() || aa.services) {
    Obj o(2);
    if (!aa.routes.empty()) {
      Obj r(4);
      for (const auto& route : aa.routes) r.list(route.cidr.text, texts(route.approvers));
      o.raw("routes", r.print());
    }
    if (!aa.exit_node.empty()) o.list("exitNode", texts(aa.exit_node));
    if (aa.services) o.raw("services", value_json(*aa.services));
    root.raw("autoApprovers", o.print());
  }
  if (!pol.node_attrs.empty()) {
    root.raw("nodeAttrs", items_json(pol.node_attrs, 2, [](const NodeAttr& a, int indent) {
      Obj o(indent);
      o.list("target", texts(a.target));
      if (!a.attr.empty()) o.list("attr", texts(a.attr));
      if (!a.app.empty()) o.raw("app", app_json(a.app, indent + 2));
      if (!a.ip_pool.empty()) o.list("ipPool", texts(a.ip_pool));
      return o.print();
    }));
  }
  if (!pol.tests.empty()) root.raw("tests", items_json(pol.tests, 2, test_json));
  if (!pol.ssh_tests.empty()) root.raw("sshTests", items_json(pol.ssh_tests, 2, ssh_test_json));
  for (const hujson::Member& m : pol.passthrough) root.raw(m.key, value_json(m.value));
  if (pol.assertions && pol.dialect == Dialect::Aclc)
    root.raw("assertions", value_json(*pol.assertions));

  std::string out;
  if (!opts.header.empty()) {
    std::istringstream lines(opts.header);
    for (std::string line; std::getline(lines, line);) out += "// " + line + "\n";
  }
  return out + root.print() + "\n";
}

}  // namespace aclc::policy
