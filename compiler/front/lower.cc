#include "compiler/front/lower.h"

#include <algorithm>
#include <map>

#include "compiler/front/resolve.h"

namespace aclc {
namespace {

using policy::Selector;
using policy::SelectorKind;

constexpr const char* kDriveCap = "tailscale.com/cap/drive";
constexpr const char* kRelayCap = "tailscale.com/cap/relay";

class Lowering {
 public:
  Lowering(const policy::Policy& pol, const Inventory& inv)
      : pol_(pol), inv_(inv), resolver_(pol, inv) {}

  ir::Program run() {
    if (!pol_.has_acls && !pol_.has_grants) {
      allow_all();
      return std::move(prog_);
    }
    for (const policy::Grant& g : pol_.grants) grant(g);
    for (const policy::AclRule& a : pol_.acls) acl(a);
    return std::move(prog_);
  }

 private:
  ir::Rule& push(ir::Rule r) {
    r.id = prog_.rules.size();
    if (r.action == ir::Action::Deny) prog_.has_deny = true;
    prog_.rules.push_back(std::move(r));
    return prog_.rules.back();
  }

  // Big policies repeat the same src lists; each distinct list is resolved
  // and spelled once.
  void set_sources(ir::Rule& r, const std::vector<Selector>& src) {
    std::string key;
    for (const Selector& sel : src) {
      key += std::to_string(static_cast<int>(sel.kind));
      key += ':';
      key += sel.kind == SelectorKind::Prefix || sel.kind == SelectorKind::Range ? sel.text : sel.name;
      key += '\n';
    }
    auto it = sources_.find(key);
    if (it == sources_.end()) {
      SourceSet s;
      for (const Selector& sel : src) resolver_.add_source(sel, s);
      std::vector<std::string> wire = s.wire(inv_.approved_subnet_routes());
      it = sources_.emplace(std::move(key), std::make_pair(std::move(s.addrs), std::move(wire))).first;
    }
    r.src = it->second.first;
    r.src_wire = it->second.second;
  }

  ir::DstGroup dst_group(const Selector& target, std::vector<PortRange> ports, Pos pos) {
    ir::DstGroup g;
    g.self = target.kind == SelectorKind::Autogroup && target.name == "self";
    if (!g.self) g.targets = resolver_.targets(target);
    g.ports = std::move(ports);
    g.text = target.text;
    g.pos = pos;
    return g;
  }

  void allow_all() {
    ir::Rule r;
    r.origin = ir::Origin::Default;
    Selector star;
    star.kind = SelectorKind::Wildcard;
    star.text = "*";
    set_sources(r, {star});
    r.dst.push_back(dst_group(star, {PortRange::all()}, {}));
    push(std::move(r));
  }

  // Tailscale's order of an acl's destinations: when every destination is
  // an autogroup they compile in policy order; otherwise autogroup:self
  // destinations compile after the others (recorded: acl-s08, acl-d08).
  // Each run of self / non-self destinations becomes its own rule so that
  // the back end sees that order.
  void acl(const policy::AclRule& a) {
    ir::Rule base;
    base.origin = ir::Origin::Acl;
    base.index = a.index;
    base.pos = a.pos;
    base.action = a.action == policy::Action::Deny ? ir::Action::Deny : ir::Action::Accept;
    set_sources(base, a.src);
    if (a.proto) base.proto = ProtoSet{a.proto->number};
    std::vector<ir::DstGroup> groups;
    bool all_autogroups = true;
    for (const policy::DstSelector& d : a.dst) {
      groups.push_back(dst_group(d.target, d.ports, d.pos));
      if (d.target.kind != SelectorKind::Autogroup) all_autogroups = false;
    }
    if (!all_autogroups) {
      std::stable_partition(groups.begin(), groups.end(),
                            [](const ir::DstGroup& g) { return !g.self; });
    }
    size_t i = 0;
    do {
      ir::Rule r = base;
      size_t j = i;
      while (j < groups.size() && groups[j].self == groups[i].self) {
        r.dst.push_back(std::move(groups[j]));
        ++j;
      }
      push(std::move(r));
      i = j;
    } while (i < groups.size());
  }

  void grant(const policy::Grant& g) {
    // An empty src list compiles to nothing, even for `app` (recorded:
    // grant-h4), while a src that resolves to nothing still carries an app
    // grant with empty SrcIPs (grant-h6).
    if (g.src.empty()) return;
    ir::Rule base;
    base.origin = ir::Origin::Grant;
    base.index = g.index;
    base.pos = g.pos;
    set_sources(base, g.src);
    for (const Selector& v : g.via) base.via.push_back(v.name.empty() ? v.text : v.name);

    // One rule per distinct protocol, in order of first appearance.
    std::vector<std::pair<std::optional<uint8_t>, std::vector<PortRange>>> by_proto;
    for (const policy::GrantIp& ip : g.ip) {
      std::optional<uint8_t> p;
      if (ip.proto) p = ip.proto->number;
      auto it = by_proto.begin();
      while (it != by_proto.end() && it->first != p) ++it;
      if (it == by_proto.end()) {
        by_proto.push_back({p, {}});
        it = by_proto.end() - 1;
      }
      it->second.insert(it->second.end(), ip.ports.begin(), ip.ports.end());
    }
    for (auto& [proto, ports] : by_proto) {
      ir::Rule r = base;
      for (const Selector& d : g.dst) r.dst.push_back(dst_group(d, ports, d.pos));
      if (proto) r.proto = ProtoSet{*proto};
      push(std::move(r));
    }

    // App grants through `via` compile to nothing (recorded: grant-k12/k13).
    if (g.app.empty() || !g.via.empty()) return;
    ir::Rule cap = base;
    for (const Selector& d : g.dst) cap.dst.push_back(dst_group(d, {PortRange::all()}, d.pos));
    for (const policy::AppCap& c : g.app) {
      ir::Capability ic{c.name.text, {}, false};
      for (const hujson::Value& v : c.values) ic.values_json.push_back(hujson::to_json(v));
      cap.caps.push_back(std::move(ic));
    }
    bool self = cap.has_self();
    push(cap);
    // Companion capabilities go the other way: from the grant's destinations
    // to its sources, delivered to the source nodes.
    for (const policy::AppCap& c : g.app) {
      std::string companion;
      if (c.name.text == kDriveCap) companion = "tailscale.com/cap/drive-sharer";
      if (c.name.text == kRelayCap) companion = "tailscale.com/cap/relay-target";
      if (companion.empty()) continue;
      ir::Rule rev = base;
      rev.companion = true;
      if (self) {
        // Same-user pairs are symmetric: keep the self expansion.
        rev.dst = cap.dst;
      } else {
        set_sources(rev, g.dst);
        for (const Selector& s : g.src) rev.dst.push_back(dst_group(s, {PortRange::all()}, s.pos));
      }
      rev.caps.push_back(ir::Capability{companion, {}, true});
      push(std::move(rev));
    }
  }

  const policy::Policy& pol_;
  const Inventory& inv_;
  Resolver resolver_;
  std::map<std::string, std::pair<IPSet, std::vector<std::string>>> sources_;
  ir::Program prog_;
};

}  // namespace

ir::Program lower(const policy::Policy& pol, const Inventory& inv) {
  return Lowering(pol, inv).run();
}

}  // namespace aclc
