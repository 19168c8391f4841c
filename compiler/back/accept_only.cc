#include "compiler/back/accept_only.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "compiler/ir/ir.h"

namespace aclc::lowering {
namespace {

using policy::Selector;
using policy::SelectorKind;

const char* proto_name(int p) {
  switch (p) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "ipv6-icmp";
    case 132: return "sctp";
    default: return nullptr;
  }
}

Selector prefix_selector(const Prefix& p, bool for_dst) {
  Selector s;
  s.kind = SelectorKind::Prefix;
  s.prefix = p;
  // A bare address where Tailscale takes one; IPv6 destinations need the
  // "/128" form before ":port".
  if (p.is_single_addr() && !(for_dst && p.family() == Family::V6))
    s.text = to_string(p.addr);
  else
    s.text = to_string(p);
  s.name = s.text;
  return s;
}

bool is_device_name(const Selector& s) {
  return s.kind == SelectorKind::Name && !s.host_alias;
}

// One output rule: a protocol spec, sources and ports, on some zones.
struct Group {
  std::optional<int> proto;  // nullopt: the default protocols
  IPSet sources;
  PortSet ports;
  std::vector<size_t> zones;  // indexes into the zone list
};

// The cells' sources cut into atoms (no cell partly contains one), merged
// by port set: each port set with the sources allowed on exactly those
// ports. In order of first appearance.
std::vector<std::pair<PortSet, IPSet>> source_atoms_by_ports(const std::vector<table::Cell>& cells) {
  std::vector<std::pair<PortSet, IPSetBuilder>> acc;
  std::unordered_map<std::string, size_t> index;
  for (Family f : {Family::V4, Family::V6}) {
    std::vector<u128> bounds;
    for (const table::Cell& cell : cells)
      for (const Interval& iv : cell.sources.intervals(f)) {
        bounds.push_back(iv.first);
        if (iv.last != max_raw(f)) bounds.push_back(iv.last + 1);
      }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    std::vector<PortSet> ports(bounds.size());
    for (const table::Cell& cell : cells)
      for (const Interval& iv : cell.sources.intervals(f)) {
        size_t k0 = size_t(std::lower_bound(bounds.begin(), bounds.end(), iv.first) - bounds.begin());
        size_t k1 = size_t(std::upper_bound(bounds.begin(), bounds.end(), iv.last) - bounds.begin());
        for (size_t k = k0; k < k1; ++k) ports[k].add(cell.ports);
      }
    for (size_t k = 0; k < bounds.size(); ++k) {
      if (ports[k].empty()) continue;
      u128 last = k + 1 < bounds.size() ? bounds[k + 1] - 1 : max_raw(f);
      std::string key;
      for (const PortRange& r : ports[k].ranges()) key += to_string(r) + ",";
      auto [it, fresh] = index.emplace(key, acc.size());
      if (fresh) acc.emplace_back(ports[k], IPSetBuilder{});
      acc[it->second].second.add_range(Addr(f, bounds[k]), Addr(f, last));
    }
  }
  std::vector<std::pair<PortSet, IPSet>> out;
  for (auto& [ports, b] : acc) out.emplace_back(std::move(ports), std::move(b).build());
  return out;
}

}  // namespace

std::optional<AcceptOnly> to_accept_only(const policy::Policy& pol, const Inventory& inv,
                                         const std::vector<table::Table>& tables,
                                         Diagnostics& diags) {
  size_t errors_before = diags.error_count();
  for (const policy::AclRule& a : pol.acls)
    if (!a.src_posture.empty())
      diags.error(pol.file, a.pos,
                  "cannot lower acls[" + std::to_string(a.index) +
                      "]: srcPosture is not part of the compiled tables, so an equivalent "
                      "accept-only rule cannot keep it",
                  "lower-posture", "lower a policy without srcPosture on packet rules");
  for (const policy::Grant& g : pol.grants)
    if (!g.src_posture.empty() && !g.ip.empty())
      diags.error(pol.file, g.pos,
                  "cannot lower grants[" + std::to_string(g.index) +
                      "]: srcPosture is not part of the compiled tables",
                  "lower-posture");
  for (const policy::SshRule& r : pol.ssh)
    for (const auto* list : {&r.src, &r.dst})
      for (const Selector& s : *list)
        if (is_device_name(s))
          diags.error(pol.file, s.pos,
                      "cannot lower ssh[" + std::to_string(r.index) + "]: \"" + s.text +
                          "\" is a device name, and Tailscale's ssh rules take no addresses",
                      "lower-ssh-device", "name the device by its tag or owner");
  // Groups lose their device members; SSH rules naming such a group would
  // silently change meaning.
  for (const policy::SshRule& r : pol.ssh)
    for (const auto* list : {&r.src, &r.dst})
      for (const Selector& s : *list) {
        const policy::Group* g = s.kind == SelectorKind::Group ? pol.find_group(s.name) : nullptr;
        if (!g) continue;
        for (const Selector& m : g->members)
          if (is_device_name(m)) {
            diags.error(pol.file, s.pos,
                        "cannot lower ssh[" + std::to_string(r.index) + "]: " + s.text +
                            " has the device \"" + m.text +
                            "\" as a member, which Tailscale's groups cannot hold",
                        "lower-ssh-device", "name the device by its tag or owner in the group");
            break;
          }
      }
  if (diags.error_count() != errors_before) return std::nullopt;

  AcceptOnly out;
  policy::Policy& p = out.policy;
  p.file = pol.file;
  p.dialect = Dialect::Tailscale;
  p.tag_owners = pol.tag_owners;
  p.hosts = pol.hosts;
  p.ipsets = pol.ipsets;
  p.postures = pol.postures;
  p.default_src_posture = pol.default_src_posture;
  p.auto_approvers = pol.auto_approvers;
  p.node_attrs = pol.node_attrs;
  p.ssh = pol.ssh;
  p.has_ssh = pol.has_ssh;
  p.tests = pol.tests;
  p.ssh_tests = pol.ssh_tests;
  p.passthrough = pol.passthrough;
  if (pol.assertions) out.notes.push_back("dropped the \"assertions\" section (an aclc extension)");

  for (const policy::Group& g : pol.groups) {
    policy::Group ng{g.name, {}};
    for (const Selector& m : g.members) {
      if (is_device_name(m))
        out.notes.push_back("dropped device \"" + m.text + "\" from " + g.name.text +
                            " (its access is in the acls now)");
      else
        ng.members.push_back(m);
    }
    p.groups.push_back(std::move(ng));
  }

  // Capability grants carry no packets: keep them, minus their `ip` part
  // (which the tables cover), with device names replaced by addresses.
  auto addresses_of = [&](const std::vector<Selector>& sels, bool for_dst) {
    std::vector<Selector> v;
    for (const Selector& s : sels) {
      const Device* d = is_device_name(s) ? inv.find_device(s.name) : nullptr;
      if (!d) {
        v.push_back(s);
        continue;
      }
      for (const Addr& a : d->addresses) v.push_back(prefix_selector(Prefix::host(a), for_dst));
    }
    return v;
  };
  for (const policy::Grant& g : pol.grants) {
    if (g.app.empty()) continue;
    policy::Grant ng = g;
    ng.ip.clear();
    ng.src = addresses_of(g.src, false);
    ng.dst = addresses_of(g.dst, true);
    p.grants.push_back(std::move(ng));
  }
  p.has_grants = !p.grants.empty();

  // Packet access from the tables. Per zone and protocol class the table
  // maps ports to sources; cutting the sources into atoms that every cell
  // either contains or misses gives each atom its port set, and atoms with
  // equal port sets form one rule's sources ("group:admin on *, tag:mobile
  // on 80,443,3000" rather than one rule per port cell).
  std::vector<const table::Zone*> zones;
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> group_index;  // proto | ports | sources
  // Devices that enforce the same destinations (two exit nodes) have the
  // same zone: the policy's answer depends on the flow alone.
  std::unordered_map<std::string, size_t> zone_index;
  for (size_t d = 0; d < tables.size(); ++d) {
    for (const table::Zone& z : tables[d].zones()) {
      std::string zkey;
      for (const std::string& x : z.dsts.to_strings(RangeForm::Ranges)) zkey += x + ",";
      auto [zit, fresh] = zone_index.emplace(std::move(zkey), zones.size());
      if (!fresh) continue;
      zones.push_back(&z);
      size_t zi = zit->second;
      for (const table::ProtoClass& c : z.classes) {
        std::vector<std::optional<int>> specs;
        ProtoSet rest = c.protos;
        ProtoSet def = ProtoSet::default_protos();
        if ((c.protos & def) == def) {
          specs.push_back(std::nullopt);
          rest -= def;
        }
        for (int proto : rest) specs.push_back(proto);
        for (auto& [ports, sources] : source_atoms_by_ports(c.cells)) {
          if (ports.contains(0) && !ports.is_all()) {
            // Tailscale writes port 0 only inside "*".
            ports -= PortSet::of(PortRange{0, 0});
            out.port_zero_dropped = true;
            if (ports.empty()) continue;
          }
          std::string key = "|";
          for (const PortRange& r : ports.ranges()) key += to_string(r) + ",";
          key += "|";
          for (const std::string& x : sources.to_strings(RangeForm::Ranges)) key += x + ",";
          for (const auto& spec : specs) {
            std::string full = (spec ? std::to_string(*spec) : "default") + key;
            auto [it, is_new] = group_index.emplace(full, groups.size());
            if (is_new) groups.push_back(Group{spec, sources, ports, {}});
            groups[it->second].zones.push_back(zi);
          }
        }
      }
    }
  }
  if (out.port_zero_dropped)
    out.notes.push_back(
        "port 0 is allowed together with some but not all ports somewhere; Tailscale's "
        "language writes port 0 only as part of \"*\", so the accept-only policy denies "
        "port 0 there");
  p.has_acls = true;  // even empty: nothing is allowed
  for (const Group& g : groups) {
    policy::AclRule rule;
    rule.index = p.acls.size();
    for (const Prefix& pre : g.sources.to_prefixes()) rule.src.push_back(prefix_selector(pre, false));
    if (g.proto) {
      policy::Proto proto;
      proto.number = uint8_t(*g.proto);
      const char* name = proto_name(*g.proto);
      proto.text = name ? name : std::to_string(*g.proto);
      rule.proto = proto;
    }
    std::vector<PortRange> ranges(g.ports.ranges().begin(), g.ports.ranges().end());
    for (size_t zi : g.zones) {
      for (const Prefix& pre : zones[zi]->dsts.to_prefixes()) {
        policy::DstSelector dst;
        dst.target = prefix_selector(pre, true);
        dst.ports = ranges;
        rule.dst.push_back(std::move(dst));
      }
    }
    p.acls.push_back(std::move(rule));
  }
  p.reindex();
  return out;
}

}  // namespace aclc::lowering
