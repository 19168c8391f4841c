#include "compiler/front/resolve.h"

#include <algorithm>
#include <unordered_set>

namespace aclc {

using policy::Selector;
using policy::SelectorKind;

std::vector<std::string> SourceSet::wire(const std::vector<Prefix>& routes) const {
  if (danger_all) return {"*"};
  std::vector<std::string> out = named.to_strings(RangeForm::Compact);
  for (const Addr& a : nodes) out.push_back(to_string(a));
  if (wildcard) {
    for (const std::string& s : IPSet::tailnet_all().to_strings(RangeForm::Compact)) {
      out.push_back(s);
    }
    for (const Prefix& r : routes) out.push_back(ir::wire_prefix(r));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

std::string domain_of(const std::string& login) {
  size_t at = login.rfind('@');
  return at == std::string::npos ? "" : normalize_login(login.substr(at + 1));
}

bool is_role_autogroup(const std::string& name) {
  return name == "admin" || name == "owner" || name == "it-admin" || name == "network-admin" ||
         name == "billing-admin" || name == "auditor";
}

}  // namespace

bool Resolver::member_matches(const Selector& m, const Device& d) const {
  switch (m.kind) {
    case SelectorKind::User:
      return inv_.owned_by(d, m.name);
    case SelectorKind::Name:  // aclc dialect: a device as a group member
      return d.hostname == m.name || (!d.short_name.empty() && d.short_name == m.name);
    default:
      return matches_device(m, d);
  }
}

bool Resolver::matches_device(const Selector& s, const Device& d) const {
  switch (s.kind) {
    case SelectorKind::User:
      return inv_.owned_by(d, s.name);
    case SelectorKind::UserDomain:
      return !d.tagged() && !d.user.empty() && domain_of(d.user) == normalize_login(s.name);
    case SelectorKind::Group: {
      const policy::Group* g = pol_.find_group(s.name);
      if (!g) return false;
      for (const Selector& m : g->members) {
        // Groups cannot contain groups (validated); do not recurse.
        if (m.kind == SelectorKind::Group) continue;
        if (member_matches(m, d)) return true;
      }
      return false;
    }
    case SelectorKind::Tag:
      return d.has_tag(s.name);
    case SelectorKind::Autogroup:
      if (s.name == "member" || s.name == "members") return !d.tagged();
      if (s.name == "tagged") return d.tagged();
      if (is_role_autogroup(s.name)) return !d.tagged() && inv_.owner_role(d) == s.name;
      return false;
    case SelectorKind::Name:
      if (pol_.find_host(s.name)) return false;
      return d.hostname == s.name || (!d.short_name.empty() && d.short_name == s.name);
    default:
      return false;
  }
}

std::vector<size_t> Resolver::devices(const Selector& s) const {
  std::vector<size_t> out;
  switch (s.kind) {
    case SelectorKind::Tag:
    case SelectorKind::Group:
    case SelectorKind::User:
    case SelectorKind::UserDomain:
    case SelectorKind::Autogroup:
      break;
    case SelectorKind::Name:
      if (pol_.find_host(s.name)) return out;
      if (const Device* d = inv_.find_device(s.name)) {
        out.push_back(static_cast<size_t>(d - inv_.devices.data()));
      }
      return out;
    default:
      return out;
  }
  if (s.kind == SelectorKind::User) {
    for (size_t i : inv_.devices_of(s.name)) out.push_back(i);
    if (!out.empty()) return out;
    // "name@" and name/email aliases need the slower match.
  }
  for (size_t i = 0; i < inv_.devices.size(); ++i) {
    if (matches_device(s, inv_.devices[i])) out.push_back(i);
  }
  return out;
}

IPSet Resolver::ipset(const std::string& name, int depth) const {
  IPSet out;
  const policy::IPSetDef* def = pol_.find_ipset(name);
  if (!def || depth > 32) return out;  // cycles are rejected by validation
  for (const policy::IPSetEntry& e : def->entries) {
    IPSet part = e.target.kind == SelectorKind::IPSet ? ipset(e.target.name, depth + 1)
                                                       : address_set(e.target);
    if (e.op == policy::IPSetOp::Add) {
      out |= part;
    } else {
      out -= part;
    }
  }
  return out;
}

IPSet Resolver::address_set(const Selector& s) const {
  IPSet out;
  switch (s.kind) {
    case SelectorKind::Prefix:
      out.add(s.prefix);
      break;
    case SelectorKind::Range:
      out.add_range(s.prefix.addr, s.range_last);
      break;
    case SelectorKind::Name:
      if (const policy::Host* h = pol_.find_host(s.name)) out.add(h->prefix);
      break;
    case SelectorKind::IPSet:
      out = ipset(s.name);
      break;
    case SelectorKind::Autogroup:
      if (s.name == "internet") out = IPSet::internet();
      break;
    default:
      break;
  }
  return out;
}

void Resolver::add_source(const Selector& s, SourceSet& out) const {
  switch (s.kind) {
    case SelectorKind::Wildcard:
      out.wildcard = true;
      out.addrs |= IPSet::tailnet_all();
      for (const Prefix& r : inv_.approved_subnet_routes()) out.addrs.add(r);
      return;
    case SelectorKind::Autogroup:
      if (s.name == "danger-all") {
        out.danger_all = true;
        out.addrs = IPSet::all_addresses();
        return;
      }
      if (s.name == "internet") {
        out.addrs |= IPSet::internet();
        out.named |= IPSet::internet();
        return;
      }
      break;
    case SelectorKind::Prefix:
    case SelectorKind::Range:
    case SelectorKind::IPSet: {
      IPSet a = address_set(s);
      out.addrs |= a;
      out.named |= a;
      return;
    }
    case SelectorKind::Name:
      if (pol_.find_host(s.name)) {
        IPSet a = address_set(s);
        out.addrs |= a;
        out.named |= a;
        return;
      }
      break;
    default:
      break;
  }
  IPSetBuilder b;
  for (size_t i : devices(s)) {
    for (const Addr& a : inv_.devices[i].addresses) {
      b.add(a);
      out.nodes.push_back(a);
    }
  }
  out.addrs |= std::move(b).build();
}

std::vector<ir::Target> Resolver::targets(const Selector& s) const {
  std::vector<ir::Target> out;
  auto prefix_target = [&](std::string ip, IPSet addrs) {
    ir::Target t;
    t.kind = ir::TargetKind::Prefix;
    t.ip = std::move(ip);
    t.addrs = std::move(addrs);
    out.push_back(std::move(t));
  };
  switch (s.kind) {
    case SelectorKind::Wildcard: {
      ir::Target t;
      t.kind = ir::TargetKind::Wildcard;
      t.ip = "*";
      t.addrs = IPSet::all_addresses();
      out.push_back(std::move(t));
      return out;
    }
    case SelectorKind::Prefix: {
      IPSet a;
      a.add(s.prefix);
      prefix_target(ir::wire_prefix(s.prefix), std::move(a));
      return out;
    }
    case SelectorKind::Range: {
      IPSet a;
      a.add_range(s.prefix.addr, s.range_last);
      prefix_target(to_string(IPRange{s.prefix.addr, s.range_last}), std::move(a));
      return out;
    }
    case SelectorKind::IPSet: {
      IPSet set = ipset(s.name);
      for (const IPRange& r : set.ranges()) {
        IPSet a;
        a.add(r);
        std::vector<std::string> str = a.to_strings(RangeForm::Compact);
        prefix_target(str.empty() ? to_string(r) : str.front(), std::move(a));
      }
      return out;
    }
    case SelectorKind::Autogroup:
      if (s.name == "internet") {
        for (const IPRange& r : IPSet::internet().ranges()) {
          IPSet a;
          a.add(r);
          prefix_target(to_string(r), std::move(a));
        }
        return out;
      }
      if (s.name == "danger-all") {  // rejected as a dst by validation
        IPSet all = IPSet::all_addresses();
        for (const IPRange& r : all.ranges()) {
          IPSet a;
          a.add(r);
          prefix_target(a.to_strings(RangeForm::Compact).front(), std::move(a));
        }
        return out;
      }
      if (s.name == "self") return out;
      break;
    case SelectorKind::Name:
      if (const policy::Host* h = pol_.find_host(s.name)) {
        IPSet a;
        a.add(h->prefix);
        prefix_target(ir::wire_prefix(h->prefix), std::move(a));
        return out;
      }
      break;
    default:
      break;
  }
  std::unordered_set<Addr> seen;
  for (size_t i : devices(s)) {
    for (const Addr& addr : inv_.devices[i].addresses) {
      if (!seen.insert(addr).second) continue;
      ir::Target t;
      t.kind = ir::TargetKind::Node;
      t.ip = to_string(addr);
      t.addrs.add(addr);
      t.device = static_cast<int>(i);
      out.push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace aclc
