#include "compiler/ir/evaluate.h"

namespace aclc::ir {

Evaluator::Evaluator(const Program& prog, const Inventory& inv) : prog_(prog), inv_(inv) {
  via_routes_.resize(prog.rules.size());
  for (const Rule& r : prog.rules) {
    if (r.via.empty()) continue;
    IPSet routes;
    for (const Device& d : inv.devices) {
      bool tagged = false;
      for (const std::string& t : r.via) tagged = tagged || d.has_tag(t);
      if (!tagged) continue;
      // What the router enforces: its own addresses, its subnet routes, and
      // the internet when it is an exit node.
      for (const Addr& a : d.addresses) routes.add(a);
      for (const Prefix& p : d.subnet_routes()) routes.add(p);
      if (d.is_exit_node()) routes |= IPSet::internet();
    }
    via_routes_[r.id] = std::move(routes);
  }
}

bool Evaluator::matches(const Rule& rule, const Flow& f) const {
  if (rule.is_cap()) return false;
  if (!rule.protocols().contains(f.proto)) return false;
  if (!rule.via.empty() && !via_routes_[rule.id].contains(f.dst)) return false;
  bool src_ok = rule.src.contains(f.src);
  for (const DstGroup& g : rule.dst) {
    bool port_ok = false;
    for (const PortRange& p : g.ports) port_ok = port_ok || p.contains(f.port);
    if (!port_ok) continue;
    if (g.self) {
      int owner = inv_.device_at(f.dst);
      if (owner < 0) continue;
      if (self_sources(rule, inv_, static_cast<size_t>(owner)).contains(f.src)) return true;
      continue;
    }
    if (!src_ok) continue;
    for (const Target& t : g.targets) {
      if (t.addrs.contains(f.dst)) return true;
    }
  }
  return false;
}

std::vector<const Rule*> Evaluator::matching_rules(const Flow& f) const {
  std::vector<const Rule*> out;
  for (const Rule& r : prog_.rules) {
    if (matches(r, f)) out.push_back(&r);
  }
  return out;
}

Decision Evaluator::decide(const Flow& f) const {
  if (!prog_.has_deny) {
    for (const Rule& r : prog_.rules) {
      if (matches(r, f)) return {Verdict::Allow, &r};
    }
    return {};
  }
  for (const Rule& r : prog_.rules) {
    if (r.origin != Origin::Acl || !matches(r, f)) continue;
    return {r.action == Action::Accept ? Verdict::Allow : Verdict::Deny, &r};
  }
  for (const Rule& r : prog_.rules) {
    if (r.origin != Origin::Acl && r.action == Action::Accept && matches(r, f)) {
      return {Verdict::Allow, &r};
    }
  }
  return {};
}

}  // namespace aclc::ir
