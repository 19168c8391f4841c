#include "cli/diff_run.h"

#include <set>

#include "compiler/front/device_names.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"
#include "compiler/front/resolve.h"

namespace aclc::cli {
namespace {

// The identities a policy names, for the representative inventory.
struct Names {
  std::set<std::string> logins, domains, tags, devices;

  void add(const policy::Selector& s) {
    switch (s.kind) {
      case policy::SelectorKind::User: logins.insert(normalize_login(s.name)); break;
      case policy::SelectorKind::UserDomain: domains.insert(s.name); break;
      case policy::SelectorKind::Tag: tags.insert(s.name); break;
      case policy::SelectorKind::Name:
        if (!s.host_alias) devices.insert(s.name);
        break;
      default: break;
    }
  }
  void add(const policy::Policy& p) {
    for (const policy::AclRule& r : p.acls) {
      for (const auto& s : r.src) add(s);
      for (const auto& d : r.dst) add(d.target);
    }
    for (const policy::Grant& g : p.grants) {
      for (const auto& s : g.src) add(s);
      for (const auto& s : g.dst) add(s);
      for (const auto& s : g.via) add(s);
    }
    for (const policy::Group& g : p.groups) {
      for (const auto& s : g.members) add(s);
    }
    for (const policy::TagOwner& t : p.tag_owners) {
      tags.insert(t.name.text);
      for (const auto& s : t.owners) add(s);
    }
  }
};

// One device per identity, at 100.127.x.y and fd7a:115c:a1e0::7f:n, named
// after what it stands for.
Inventory representative_inventory(const Names& n) {
  Inventory inv;
  inv.file = "(representative devices)";
  uint32_t next = 1;
  auto add = [&](std::string hostname, std::string user, std::vector<std::string> tags) {
    Device d;
    d.hostname = std::move(hostname);
    d.user = std::move(user);
    d.tags = std::move(tags);
    d.addresses.push_back(Addr(0x647f0000u + next));  // 100.127.0.0 + next
    d.addresses.push_back(
        Addr(Family::V6, (u128{0xfd7a115ca1e00000ull} << 64) | (u128{0x7f} << 32) | next));
    ++next;
    inv.devices.push_back(std::move(d));
  };
  std::set<std::string> domains_covered;
  for (const std::string& login : n.logins) {
    add("[" + login + "]", login, {});
    size_t at = login.find('@');
    if (at != std::string::npos) domains_covered.insert(login.substr(at + 1));
  }
  for (const std::string& domain : n.domains) {
    if (!domains_covered.count(domain)) add("[user@" + domain + "]", "user@" + domain, {});
  }
  add("[another user]", "another-user@users.invalid", {});
  for (const std::string& tag : n.tags) add("[" + tag + "]", "", {tag});
  for (const std::string& name : n.devices) add(name, "", {});
  inv.reindex();
  return inv;
}

// Lowers one version against the representative inventory.
LoadStatus load_representative(const Inputs& in, const std::string& text, const Inventory& inv,
                               Loaded& out, Diagnostics& diags) {
  Diagnostics pol_diags;
  out.policy = policy::parse_policy(text, in.policy_path, in.dialect, pol_diags);
  diags.append(pol_diags);
  if (!out.policy || pol_diags.has_errors()) return LoadStatus::PolicyInvalid;
  check_device_names(*out.policy, &inv, diags);
  if (diags.has_errors()) return LoadStatus::PolicyInvalid;
  out.program = lower(*out.policy, inv);
  return LoadStatus::Ok;
}

// Each rule's source selectors and what they admit, for labels.
std::vector<std::vector<verify::NamedSet>> source_selectors(const policy::Policy& pol,
                                                            const Inventory& inv,
                                                            const ir::Program& prog) {
  Resolver res(pol, inv);
  std::vector<std::vector<verify::NamedSet>> out(prog.rules.size());
  for (const ir::Rule& r : prog.rules) {
    const std::vector<policy::Selector>* srcs = nullptr;
    if (r.origin == ir::Origin::Acl && r.index < pol.acls.size()) srcs = &pol.acls[r.index].src;
    if (r.origin == ir::Origin::Grant && r.index < pol.grants.size()) {
      srcs = &pol.grants[r.index].src;
    }
    if (!srcs) {
      out[r.id].push_back({"*", r.src});
      continue;
    }
    for (const policy::Selector& s : *srcs) {
      SourceSet set;
      res.add_source(s, set);
      out[r.id].push_back({s.text, std::move(set.addrs)});
    }
  }
  return out;
}

}  // namespace

verify::DiffReport DiffRun::report() const {
  verify::DiffReport r;
  r.old_name = old_side.policy ? old_side.policy->file : "";
  r.new_name = new_side.policy ? new_side.policy->file : "";
  r.scope = scope;
  r.inv = &inventory;
  r.device_pairs = tailnet_devices;
  r.diff = &diff;
  return r;
}

LoadStatus run_diff(const PolicyVersion& old_version, const PolicyVersion& new_version,
                    const Inputs& common, DiffRun& out, Diagnostics& diags) {
  Inputs old_in = common, new_in = common;
  old_in.policy_path = old_version.name;
  new_in.policy_path = new_version.name;
  LoadStatus st_old, st_new;
  if (!common.nodes_path.empty()) {
    st_old = load_inputs_from_text(old_in, old_version.text, out.old_side, diags);
    if (st_old == LoadStatus::InputError) return st_old;
    st_new = load_inputs_from_text(new_in, new_version.text, out.new_side, diags);
    if (st_new == LoadStatus::InputError) return st_new;
    out.inventory = out.new_side.inventory;
    out.tailnet_devices = true;
    size_t n = out.inventory.devices.size();
    out.scope = "every address, with the " + std::to_string(n) +
                (n == 1 ? " device of " : " devices of ") + common.nodes_path;
  } else {
    // Decode both first: the representative devices come from both.
    Diagnostics probe;
    Names names;
    for (const PolicyVersion* v : {&old_version, &new_version}) {
      auto pol = policy::parse_policy(v->text, v->name, common.dialect, probe);
      if (pol) names.add(*pol);
    }
    out.inventory = representative_inventory(names);
    st_old = load_representative(old_in, old_version.text, out.inventory, out.old_side, diags);
    st_new = load_representative(new_in, new_version.text, out.inventory, out.new_side, diags);
    out.scope =
        "every address, with one device per user, domain and tag the policies name and one "
        "for any other user, no --nodes given";
  }
  if (st_old != LoadStatus::Ok || st_new != LoadStatus::Ok) return LoadStatus::PolicyInvalid;

  verify::DiffSide a{&*out.old_side.program, old_version.name,
                     source_selectors(*out.old_side.policy, out.inventory, *out.old_side.program)};
  verify::DiffSide b{&*out.new_side.program, new_version.name,
                     source_selectors(*out.new_side.policy, out.inventory, *out.new_side.program)};
  out.diff = verify::diff_programs(a, b, out.inventory);
  return LoadStatus::Ok;
}

}  // namespace aclc::cli
