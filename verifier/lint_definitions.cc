// Groups, tags, hosts and ipsets that nothing uses, and tags no device has.
//
// A definition is used when any other part of the policy names it: a rule,
// a test or sshTest (as a source, or a destination before its ":port"), an
// ssh rule (including recorders), a nodeAttr, an autoApprover, an ipset, a
// group's members or a tag's owners (other than its own), a grant's via, or
// any string of the assertions. A name used only by its own definition is
// unused.
#include <set>
#include <string>

#include "verifier/lint_checks.h"

namespace aclc::verify {
namespace {

using policy::Selector;

class References {
 public:
  // `self`: the definition being walked, whose own name does not count.
  void add(const Selector& s, const std::string& self = "") {
    add(s.text, self);
    add(s.name, self);
  }
  void add(const std::vector<Selector>& ss, const std::string& self = "") {
    for (const Selector& s : ss) add(s, self);
  }
  void add(const std::string& s, const std::string& self = "") {
    if (!s.empty() && s != self) names_.insert(s);
  }
  // A test's "host:port" (or a bare source): the text and the text before
  // its last ':' ("tag:prod:22" -> "tag:prod", "[fd7a::1]:22" -> "[fd7a::1]").
  void add_host_port(const std::string& s) {
    add(s);
    size_t colon = s.rfind(':');
    if (colon != std::string::npos) add(s.substr(0, colon));
  }
  // Every string inside a JSON value (keys too).
  void add_all(const hujson::Value& v) {
    if (v.is_string()) add_host_port(v.text);
    for (const hujson::Value& x : v.items) add_all(x);
    for (const hujson::Member& m : v.members) {
      add_host_port(m.key);
      add_all(m.value);
    }
  }
  bool has(const std::string& name) const { return names_.count(name) != 0; }

 private:
  std::set<std::string> names_;
};

References collect(const policy::Policy& pol) {
  References r;
  for (const policy::AclRule& a : pol.acls) {
    r.add(a.src);
    for (const policy::DstSelector& d : a.dst) r.add(d.target);
  }
  for (const policy::Grant& g : pol.grants) {
    r.add(g.src);
    r.add(g.dst);
    r.add(g.via);
  }
  for (const policy::SshRule& s : pol.ssh) {
    r.add(s.src);
    r.add(s.dst);
    r.add(s.recorder);
  }
  for (const policy::Group& g : pol.groups) r.add(g.members, g.name.text);
  for (const policy::TagOwner& t : pol.tag_owners) r.add(t.owners, t.name.text);
  for (const policy::IPSetDef& s : pol.ipsets) {
    for (const policy::IPSetEntry& e : s.entries) r.add(e.target, s.name.text);
  }
  for (const policy::AutoApprovers::Route& route : pol.auto_approvers.routes) {
    r.add(route.approvers);
  }
  r.add(pol.auto_approvers.exit_node);
  if (pol.auto_approvers.services) r.add_all(*pol.auto_approvers.services);
  for (const policy::NodeAttr& n : pol.node_attrs) r.add(n.target);
  for (const policy::AclTest& t : pol.tests) {
    if (t.src) r.add_host_port(t.src->text);
    for (const policy::Str& s : t.accept) r.add_host_port(s.text);
    for (const policy::Str& s : t.deny) r.add_host_port(s.text);
  }
  for (const policy::SshTest& t : pol.ssh_tests) {
    if (t.src) r.add_host_port(t.src->text);
    for (const policy::Str& s : t.dst) r.add_host_port(s.text);
  }
  if (pol.assertions) r.add_all(*pol.assertions);
  return r;
}

const char* kUsers =
    "no rule, test, ssh rule, nodeAttr, autoApprover, ipset, group, tag owner list or "
    "assertion";

void unused(LintReport& out, LintKind kind, const policy::Str& name, const char* what) {
  LintFinding f;
  f.kind = kind;
  f.pos = name.pos;
  f.message = std::string(what) + " \"" + name.text + "\" is never used: " + kUsers +
              " names it";
  f.hint = std::string("remove the ") + what + ", or use it";
  out.findings.push_back(std::move(f));
}

}  // namespace

void lint_definitions(const policy::Policy& pol, const Inventory& inv, bool has_inventory,
                      LintReport& out) {
  References refs = collect(pol);
  for (const policy::Group& g : pol.groups) {
    if (!refs.has(g.name.text)) unused(out, LintKind::UnusedGroup, g.name, "group");
  }
  for (const policy::TagOwner& t : pol.tag_owners) {
    if (!refs.has(t.name.text)) unused(out, LintKind::UnusedTag, t.name, "tag");
  }
  for (const policy::Host& h : pol.hosts) {
    if (!refs.has(h.name.text)) unused(out, LintKind::UnusedHost, h.name, "host");
  }
  for (const policy::IPSetDef& s : pol.ipsets) {
    if (!refs.has(s.name.text)) unused(out, LintKind::UnusedIPSet, s.name, "ipset");
  }
  if (!has_inventory) return;
  for (const policy::TagOwner& t : pol.tag_owners) {
    if (!inv.devices_with_tag(t.name.text).empty()) continue;
    LintFinding f;
    f.kind = LintKind::UncarriedTag;
    f.pos = t.name.pos;
    f.scope = Scope::Nodes;
    f.message = "no device carries \"" + t.name.text + "\"" +
                (inv.file.empty() ? std::string() : " in " + inv.file) +
                ": every rule naming it admits nothing with these devices";
    f.hint = "tag a device with it, or remove it and the rules that name it";
    out.findings.push_back(std::move(f));
  }
}

}  // namespace aclc::verify
