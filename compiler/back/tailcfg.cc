#include "compiler/back/tailcfg.h"

#include <algorithm>
#include <limits>
#include <map>
#include <ostream>
#include <unordered_map>

#include "compiler/back/json_writer.h"

namespace aclc::tailcfg {
namespace {

// A (rule, dst group, target) triple: one DstPorts "IP" of one rule.
struct Ref {
  uint32_t rule;
  uint32_t group;
  uint32_t target;
  friend auto operator<=>(const Ref&, const Ref&) = default;
};

// A flow box: src x dst x ports x protocols.
struct Box {
  IPSet src;
  IPSet dst;
  PortSet ports;
  ProtoSet protos;
};

bool box_overlaps(const Box& a, const Box& b) {
  return a.src.overlaps(b.src) && a.dst.overlaps(b.dst) && a.ports.overlaps(b.ports) &&
         !(a.protos & b.protos).empty();
}

// a minus d as disjoint boxes.
void box_minus(const Box& a, const Box& d, std::vector<Box>& out) {
  if (!box_overlaps(a, d)) {
    out.push_back(a);
    return;
  }
  IPSet s_out = a.src - d.src;
  IPSet s_in = a.src & d.src;
  if (!s_out.empty()) out.push_back(Box{s_out, a.dst, a.ports, a.protos});
  IPSet t_out = a.dst - d.dst;
  IPSet t_in = a.dst & d.dst;
  if (!t_out.empty()) out.push_back(Box{s_in, t_out, a.ports, a.protos});
  PortSet p_out = a.ports - d.ports;
  PortSet p_in = a.ports & d.ports;
  if (!p_out.empty()) out.push_back(Box{s_in, t_in, p_out, a.protos});
  ProtoSet r_out = a.protos - d.protos;
  if (!r_out.empty()) out.push_back(Box{s_in, t_in, p_in, r_out});
}

PortSet port_set(const std::vector<PortRange>& ranges) {
  PortSet s;
  for (const PortRange& r : ranges) s.add(r);
  return s;
}

std::string proto_key(const std::optional<ProtoSet>& p) {
  if (!p) return "";
  std::string k;
  for (int v : p->to_vector()) k += std::to_string(v) + ",";
  return k;
}

std::string make_key(const std::vector<std::string>& src, const std::string& proto) {
  std::string k;
  for (const std::string& s : src) {
    k += s;
    k += '\n';
  }
  k += '|';
  k += proto;
  return k;
}

std::vector<std::string> host_prefixes(const std::vector<Addr>& addrs, const IPSet* within) {
  std::vector<std::string> out;
  for (const Addr& a : addrs) {
    if (within && !within->contains(a)) continue;
    out.push_back(to_string(Prefix::host(a)));
  }
  return out;
}

}  // namespace

struct Compiler::Impl {
  const ir::Program& prog;
  const Inventory& inv;
  std::vector<std::vector<Ref>> node_refs;  // Node targets by device (and routers)
  std::vector<Ref> prefix_refs;
  std::vector<Ref> wildcard_refs;
  std::vector<uint32_t> self_rules;
  std::vector<uint32_t> deny_rules;
  // Merge keys (SrcIPs + IPProto) of the packet rules, as small ids so that
  // per-node merging hashes integers, not kilobytes of SrcIPs.
  std::vector<uint32_t> rule_key_id;                  // per rule
  std::unordered_map<std::string, uint32_t> key_ids;  // key -> id
  std::vector<size_t> first_pos;                      // id -> first rule id
  std::vector<std::shared_ptr<const std::vector<std::string>>> src_shared;  // per rule
  std::vector<IPSet> node_addrs;
  std::vector<IPSet> node_routes;
  IPSet internet = IPSet::internet();
  // Every address a Prefix target names: a node whose own addresses miss it
  // (and that routes nothing) receives no Prefix target, without testing
  // each one.
  IPSet prefix_cover;
  // autogroup:self SrcIPs by (rule, owner login as written): the same
  // user's devices share them. Filled as nodes ask.
  mutable std::map<std::pair<uint32_t, std::string>, std::vector<std::string>> self_wire_memo;

  Impl(const ir::Program& p, const Inventory& i) : prog(p), inv(i) {
    size_t n = inv.devices.size();
    node_refs.resize(n);
    node_addrs.resize(n);
    node_routes.resize(n);
    std::vector<size_t> routers;
    for (size_t d = 0; d < n; ++d) {
      node_addrs[d] = inv.devices[d].address_set();
      for (const Prefix& r : inv.devices[d].subnet_routes()) node_routes[d].add(r);
      if (!node_routes[d].empty()) routers.push_back(d);
    }
    rule_key_id.resize(prog.rules.size());
    src_shared.resize(prog.rules.size());
    for (const ir::Rule& r : prog.rules) {
      uint32_t rid = static_cast<uint32_t>(r.id);
      if (r.action == ir::Action::Deny) {
        deny_rules.push_back(rid);
        continue;
      }
      src_shared[rid] = std::make_shared<const std::vector<std::string>>(r.src_wire);
      if (!r.is_cap()) {
        auto [it, fresh] = key_ids.emplace(make_key(r.src_wire, proto_key(r.proto)),
                                           static_cast<uint32_t>(first_pos.size()));
        if (fresh) first_pos.push_back(r.id);
        rule_key_id[rid] = it->second;
      }
      if (r.has_self()) self_rules.push_back(rid);
      for (uint32_t g = 0; g < r.dst.size(); ++g) {
        const ir::DstGroup& grp = r.dst[g];
        for (uint32_t t = 0; t < grp.targets.size(); ++t) {
          const ir::Target& tg = grp.targets[t];
          Ref ref{rid, g, t};
          switch (tg.kind) {
            case ir::TargetKind::Wildcard:
              wildcard_refs.push_back(ref);
              break;
            case ir::TargetKind::Node:
              if (tg.device >= 0) node_refs[static_cast<size_t>(tg.device)].push_back(ref);
              // A route may cover another node's address.
              for (size_t rt : routers) {
                if (static_cast<int>(rt) != tg.device && node_routes[rt].overlaps(tg.addrs)) {
                  node_refs[rt].push_back(ref);
                }
              }
              break;
            case ir::TargetKind::Prefix:
              prefix_refs.push_back(ref);
              prefix_cover |= tg.addrs;
              break;
          }
        }
      }
    }
  }

  bool via_ok(const ir::Rule& r, size_t n) const {
    if (r.via.empty()) return true;
    const Device& d = inv.devices[n];
    for (const std::string& t : r.via) {
      if (d.has_tag(t)) return true;
    }
    return false;
  }

  bool prefix_applies(const ir::Target& t, size_t n) const {
    if (t.addrs.overlaps(node_addrs[n])) return true;
    if (t.addrs.overlaps(node_routes[n])) return true;
    return inv.devices[n].is_exit_node() && internet.contains(t.addrs);
  }

  // Deny boxes that take precedence over accept rule r, as seen on node n.
  std::vector<Box> deny_boxes(const ir::Rule& r, size_t n) const {
    std::vector<Box> out;
    for (uint32_t did : deny_rules) {
      const ir::Rule& d = prog.rules[did];
      if (r.origin == ir::Origin::Acl && d.id > r.id) break;
      for (const ir::DstGroup& g : d.dst) {
        Box b;
        b.ports = port_set(g.ports);
        b.protos = d.protocols();
        if (g.self) {
          b.src = ir::self_sources(d, inv, n);
          b.dst = node_addrs[n];
        } else {
          b.src = d.src;
          IPSetBuilder bd;
          for (const ir::Target& t : g.targets) bd.add(t.addrs);
          b.dst = std::move(bd).build();
        }
        if (!b.src.empty() && !b.dst.empty() && !b.ports.empty()) out.push_back(std::move(b));
      }
    }
    return out;
  }

  struct Slot {
    size_t sort_pos;
    size_t created;
    FilterRule rule;
  };

  // One node's output rules, found by merge key.
  struct Slots {
    std::vector<Slot> list;
    std::unordered_map<uint32_t, size_t> by_id;      // keys some rule has
    std::unordered_map<std::string, size_t> by_key;  // keys only this node has
  };

  // The slot of a merge key, created with the given SrcIPs and IPProto. Its
  // position is the first rule of that key in compilation order (merging
  // happens before the per-node reduction) or `rule`, whichever is first.
  FilterRule& slot(Slots& slots, uint32_t id, const std::string* key, const ir::Rule& rule,
                   std::shared_ptr<const std::vector<std::string>> src,
                   const std::optional<std::vector<int>>& proto) const {
    if (key) {
      auto g = key_ids.find(*key);
      if (g != key_ids.end()) {
        id = g->second;
        key = nullptr;
      }
    }
    size_t first = std::numeric_limits<size_t>::max();
    if (key) {
      auto it = slots.by_key.find(*key);
      if (it != slots.by_key.end()) return slots.list[it->second].rule;
      slots.by_key.emplace(*key, slots.list.size());
    } else {
      auto it = slots.by_id.find(id);
      if (it != slots.by_id.end()) return slots.list[it->second].rule;
      slots.by_id.emplace(id, slots.list.size());
      first = first_pos[id];
    }
    slots.list.push_back(Slot{std::min(first, rule.id), slots.list.size(), FilterRule{}});
    FilterRule& fr = slots.list.back().rule;
    fr.first_rule = rule.id;
    fr.src_ips = std::move(src);
    fr.ip_proto = proto;
    return fr;
  }

  std::vector<FilterRule> for_node(size_t n) const {
    const Device& dev = inv.devices[n];
    std::vector<Ref> refs = node_refs[n];
    refs.insert(refs.end(), wildcard_refs.begin(), wildcard_refs.end());
    bool may_get_prefixes =
        !node_routes[n].empty() || dev.is_exit_node() || prefix_cover.overlaps(node_addrs[n]);
    if (may_get_prefixes) {
      for (const Ref& r : prefix_refs) {
        if (prefix_applies(prog.rules[r.rule].dst[r.group].targets[r.target], n)) refs.push_back(r);
      }
    }
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());

    Slots slots;

    size_t self_i = 0;
    size_t ref_i = 0;
    while (ref_i < refs.size() || self_i < self_rules.size()) {
      uint32_t rid = std::numeric_limits<uint32_t>::max();
      if (ref_i < refs.size()) rid = refs[ref_i].rule;
      if (self_i < self_rules.size()) rid = std::min(rid, self_rules[self_i]);
      size_t ref_end = ref_i;
      while (ref_end < refs.size() && refs[ref_end].rule == rid) ++ref_end;
      bool self_here = self_i < self_rules.size() && self_rules[self_i] == rid;
      if (self_here) ++self_i;
      const ir::Rule& rule = prog.rules[rid];
      std::span<const Ref> here(refs.data() + ref_i, ref_end - ref_i);
      ref_i = ref_end;
      if (rule.action == ir::Action::Deny || !via_ok(rule, n)) continue;

      // Self expansion on this node.
      static const std::vector<std::string> kNone;
      const std::vector<std::string>* self_wire_p = &kNone;
      if (self_here && !dev.tagged() && !dev.user.empty()) {
        auto [it, fresh] = self_wire_memo.try_emplace({rid, dev.user});
        if (fresh) it->second = ir::self_sources_wire(rule, inv, n);
        self_wire_p = &it->second;
      }
      const std::vector<std::string>& self_wire = *self_wire_p;

      if (rule.is_cap()) {
        emit_cap(rule, here, self_here, self_wire, n, slots);
        continue;
      }
      if (!here.empty() && !rule.src_wire.empty()) {
        if (prog.has_deny) {
          emit_flattened(rule, here, n, slots);
        } else {
          FilterRule& fr = slot(slots, rule_key_id[rid], nullptr, rule, src_shared[rid], ip_proto(rule));
          append_dst_ports(rule, here, fr.dst_ports);
        }
      }
      if (!self_wire.empty()) {
        std::vector<NetPortRange> entries;
        for (const ir::DstGroup& g : rule.dst) {
          if (!g.self) continue;
          for (const Addr& a : dev.addresses) {
            for (const PortRange& p : g.ports) entries.push_back({to_string(a), p});
          }
        }
        if (entries.empty()) continue;
        if (prog.has_deny) {
          IPSet src = ir::self_sources(rule, inv, n);
          Box a{src, node_addrs[n], PortSet(), rule.protocols()};
          for (const ir::DstGroup& g : rule.dst) {
            if (g.self) a.ports |= port_set(g.ports);
          }
          if (!deny_overlaps(rule, a, n)) {
            add_to_slot(rule, self_wire, entries, slots);
          } else {
            emit_boxes(rule, subtract(rule, a, n), slots);
          }
        } else {
          add_to_slot(rule, self_wire, entries, slots);
        }
      }
    }

    std::stable_sort(slots.list.begin(), slots.list.end(), [](const Slot& a, const Slot& b) {
      if (a.sort_pos != b.sort_pos) return a.sort_pos < b.sort_pos;
      return a.created < b.created;
    });
    std::vector<FilterRule> out;
    out.reserve(slots.list.size());
    for (Slot& s : slots.list) {
      if (s.rule.dst_ports.empty() && s.rule.cap_grant.empty()) continue;
      out.push_back(std::move(s.rule));
    }
    return out;
  }

  static std::optional<std::vector<int>> ip_proto(const ir::Rule& r) {
    if (!r.proto) return std::nullopt;
    return r.proto->to_vector();
  }

  void append_dst_ports(const ir::Rule& rule, std::span<const Ref> refs,
                        std::vector<NetPortRange>& out) const {
    for (const Ref& ref : refs) {
      const ir::DstGroup& g = rule.dst[ref.group];
      const ir::Target& t = g.targets[ref.target];
      for (const PortRange& p : g.ports) out.push_back({t.ip, p});
    }
  }

  void add_to_slot(const ir::Rule& rule, const std::vector<std::string>& src,
                   const std::vector<NetPortRange>& entries, Slots& slots) const {
    std::string key = make_key(src, proto_key(rule.proto));
    FilterRule& fr = slot(slots, 0, &key, rule,
                          std::make_shared<const std::vector<std::string>>(src), ip_proto(rule));
    fr.dst_ports.insert(fr.dst_ports.end(), entries.begin(), entries.end());
  }

  bool deny_overlaps(const ir::Rule& rule, const Box& a, size_t n) const {
    for (const Box& d : deny_boxes(rule, n)) {
      if (box_overlaps(a, d)) return true;
    }
    return false;
  }

  std::vector<Box> subtract(const ir::Rule& rule, const Box& a, size_t n) const {
    std::vector<Box> pieces{a};
    for (const Box& d : deny_boxes(rule, n)) {
      std::vector<Box> next;
      for (const Box& p : pieces) box_minus(p, d, next);
      pieces = std::move(next);
    }
    return pieces;
  }

  void emit_boxes(const ir::Rule& rule, const std::vector<Box>& boxes, Slots& slots) const {
    for (const Box& b : boxes) {
      std::vector<std::string> src = b.src.to_strings(RangeForm::Compact);
      std::vector<NetPortRange> entries;
      for (const std::string& ip : b.dst.to_strings(RangeForm::Compact)) {
        for (const PortRange& p : b.ports.ranges()) entries.push_back({ip, p});
      }
      if (src.empty() || entries.empty()) continue;
      std::optional<std::vector<int>> proto;
      if (rule.proto || !(b.protos == ProtoSet::default_protos())) proto = b.protos.to_vector();
      std::string key = make_key(src, proto ? proto_key(b.protos) : "");
      FilterRule& fr =
          slot(slots, 0, &key, rule, std::make_shared<const std::vector<std::string>>(src), proto);
      fr.dst_ports.insert(fr.dst_ports.end(), entries.begin(), entries.end());
    }
  }

  void emit_flattened(const ir::Rule& rule, std::span<const Ref> refs, size_t n,
                      Slots& slots) const {
    // Per dst group: untouched groups keep their pretty form.
    size_t i = 0;
    while (i < refs.size()) {
      size_t j = i;
      while (j < refs.size() && refs[j].group == refs[i].group) ++j;
      const ir::DstGroup& g = rule.dst[refs[i].group];
      Box a;
      a.src = rule.src;
      IPSetBuilder bd;
      for (size_t k = i; k < j; ++k) bd.add(g.targets[refs[k].target].addrs);
      a.dst = std::move(bd).build();
      a.ports = port_set(g.ports);
      a.protos = rule.protocols();
      std::span<const Ref> part(refs.data() + i, j - i);
      if (!deny_overlaps(rule, a, n)) {
        std::vector<NetPortRange> entries;
        append_dst_ports(rule, part, entries);
        FilterRule& fr =
            slot(slots, rule_key_id[rule.id], nullptr, rule, src_shared[rule.id], ip_proto(rule));
        fr.dst_ports.insert(fr.dst_ports.end(), entries.begin(), entries.end());
      } else {
        emit_boxes(rule, subtract(rule, a, n), slots);
      }
      i = j;
    }
  }

  void emit_cap(const ir::Rule& rule, std::span<const Ref> refs, bool self_here,
                const std::vector<std::string>& self_wire, size_t n, Slots& slots) const {
    const Device& dev = inv.devices[n];
    std::vector<std::string> dsts;
    for (const Ref& ref : refs) {
      const ir::Target& t = rule.dst[ref.group].targets[ref.target];
      std::vector<std::string> add;
      switch (t.kind) {
        case ir::TargetKind::Wildcard:
          add = host_prefixes(dev.addresses, nullptr);
          break;
        case ir::TargetKind::Node:
          if (t.device == static_cast<int>(n)) {
            add = host_prefixes(dev.addresses, &t.addrs);
          } else {
            for (const Prefix& p : t.addrs.to_prefixes()) add.push_back(to_string(p));
          }
          break;
        case ir::TargetKind::Prefix:
          if (t.addrs.overlaps(node_addrs[n])) {
            add = host_prefixes(dev.addresses, &t.addrs);
          } else {
            for (const Prefix& p : t.addrs.to_prefixes()) add.push_back(to_string(p));
          }
          break;
      }
      for (std::string& s : add) {
        if (std::find(dsts.begin(), dsts.end(), s) == dsts.end()) dsts.push_back(std::move(s));
      }
    }
    std::shared_ptr<const std::vector<std::string>> src = src_shared[rule.id];
    if (self_here && !self_wire.empty()) {
      for (std::string& s : host_prefixes(dev.addresses, nullptr)) {
        if (std::find(dsts.begin(), dsts.end(), s) == dsts.end()) dsts.push_back(std::move(s));
      }
      if (refs.empty()) src = std::make_shared<const std::vector<std::string>>(self_wire);
    }
    if (dsts.empty()) return;
    FilterRule fr;
    fr.first_rule = rule.id;
    fr.src_ips = std::move(src);
    CapGrant cg;
    cg.dsts = std::move(dsts);
    for (const ir::Capability& c : rule.caps) cg.caps.push_back(&c);
    std::sort(cg.caps.begin(), cg.caps.end(),
              [](const ir::Capability* a, const ir::Capability* b) { return a->name < b->name; });
    fr.cap_grant.push_back(std::move(cg));
    slots.list.push_back(Slot{rule.id, slots.list.size(), std::move(fr)});
  }
};

Compiler::Compiler(const ir::Program& prog, const Inventory& inv) : impl_(new Impl(prog, inv)) {}
Compiler::~Compiler() { delete impl_; }

std::vector<FilterRule> Compiler::for_node(size_t device) const {
  if (device >= impl_->inv.devices.size()) return {};
  return impl_->for_node(device);
}

namespace {

template <typename Writer>
void write_rules(Writer& w, const std::vector<FilterRule>& rules) {
  w.StartArray();
  for (const FilterRule& r : rules) {
    w.StartObject();
    w.Key("SrcIPs");
    w.StartArray();
    if (r.src_ips) {
      for (const std::string& s : *r.src_ips) {
        json_string(w, s);
      }
    }
    w.EndArray();
    if (!r.dst_ports.empty()) {
      w.Key("DstPorts");
      w.StartArray();
      for (const NetPortRange& p : r.dst_ports) {
        w.StartObject();
        w.Key("IP");
        json_string(w, p.ip);
        w.Key("Ports");
        w.StartObject();
        w.Key("First");
        w.Uint(p.ports.first);
        w.Key("Last");
        w.Uint(p.ports.last);
        w.EndObject();
        w.EndObject();
      }
      w.EndArray();
    }
    if (r.ip_proto && !r.ip_proto->empty()) {
      w.Key("IPProto");
      w.StartArray();
      for (int p : *r.ip_proto) w.Int(p);
      w.EndArray();
    }
    if (!r.cap_grant.empty()) {
      w.Key("CapGrant");
      w.StartArray();
      for (const CapGrant& cg : r.cap_grant) {
        w.StartObject();
        w.Key("Dsts");
        w.StartArray();
        for (const std::string& d : cg.dsts) json_string(w, d);
        w.EndArray();
        w.Key("CapMap");
        w.StartObject();
        for (const ir::Capability* c : cg.caps) {
          json_key(w, c->name);
          if (c->null_value) {
            w.Null();
            continue;
          }
          w.StartArray();
          for (const std::string& raw : c->values_json) {
            w.RawValue(raw.c_str(), raw.size(), rapidjson::kObjectType);
          }
          w.EndArray();
        }
        w.EndObject();
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

std::string to_json(const std::vector<FilterRule>& rules, int indent) {
  return write_json(indent, [&](auto& w) { write_rules(w, rules); });
}

void write_json_all(const Compiler& c, const Inventory& inv, std::ostream& out, int indent) {
  std::vector<size_t> order = hostname_order(inv);
  // One buffer, emptied into the stream after every node.
  rapidjson::StringBuffer buf;
  auto flush = [&] {
    out.write(buf.GetString(), static_cast<std::streamsize>(buf.GetSize()));
    buf.Clear();
  };
  auto body = [&](auto& w) {
    w.StartObject();
    for (size_t i : order) {
      json_key(w, inv.devices[i].hostname);
      write_rules(w, c.for_node(i));
      flush();
    }
    w.EndObject();
    flush();
  };
  write_json_into(buf, indent, body);
}

std::string to_json_all(const Compiler& c, const Inventory& inv, int indent) {
  std::vector<size_t> order = hostname_order(inv);
  return write_json(indent, [&](auto& w) {
    w.StartObject();
    for (size_t i : order) {
      json_key(w, inv.devices[i].hostname);
      write_rules(w, c.for_node(i));
    }
    w.EndObject();
  });
}

}  // namespace aclc::tailcfg
