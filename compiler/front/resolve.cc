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

std::vector<size_t> Resolver::devices(const Selector& s) const {
  std::string key = std::to_string(static_cast<int>(s.kind)) + ":" + s.name;
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  std::vector<size_t> out = resolve_devices(s);
  memo_.emplace(std::move(key), out);
  return out;
}

std::vector<size_t> Resolver::resolve_devices(const Selector& s) const {
  std::vector<size_t> out;
  auto device_named = [&](const std::string& name) {
    if (const Device* d = inv_.find_device(name)) {
      out.push_back(static_cast<size_t>(d - inv_.devices.data()));
    }
  };
  switch (s.kind) {
    case SelectorKind::User:
      return inv_.devices_of_login(s.name);
    case SelectorKind::UserDomain: {
      std::string domain = normalize_login(s.name);
      for (size_t i = 0; i < inv_.devices.size(); ++i) {
        const Device& d = inv_.devices[i];
        if (!d.tagged() && !d.user.empty() && domain_of(d.user) == domain) out.push_back(i);
      }
      return out;
    }
    case SelectorKind::Group: {
      const policy::Group* g = pol_.find_group(s.name);
      if (!g) return out;
      for (const Selector& m : g->members) {
        if (m.kind == SelectorKind::User) {
          std::vector<size_t> v = inv_.devices_of_login(m.name);
          out.insert(out.end(), v.begin(), v.end());
        } else if (m.kind == SelectorKind::Name) {  // aclc: a device as a member
          device_named(m.name);
        }
        // Groups cannot contain groups (validated); nothing else is a member.
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    }
    case SelectorKind::Tag:
      return inv_.devices_with_tag(s.name);
    case SelectorKind::Autogroup:
      for (size_t i = 0; i < inv_.devices.size(); ++i) {
        const Device& d = inv_.devices[i];
        bool yes = false;
        if (s.name == "member" || s.name == "members") yes = !d.tagged();
        else if (s.name == "tagged") yes = d.tagged();
        else if (is_role_autogroup(s.name)) yes = !d.tagged() && inv_.owner_role(d) == s.name;
        if (yes) out.push_back(i);
      }
      return out;
    case SelectorKind::Name:
      if (!pol_.find_host(s.name)) device_named(s.name);
      return out;
    default:
      return out;
  }
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
