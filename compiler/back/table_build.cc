#include "compiler/back/table_build.h"

#include "compiler/back/stab_index.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace aclc::table {

IPSet enforced_addresses(const Device& d) {
  IPSet out = d.address_set();
  for (const Prefix& p : d.subnet_routes()) out.add(p);
  if (d.is_exit_node()) out |= IPSet::internet();
  return out;
}

namespace {

// a & small, costing |small| binary searches in a instead of a walk of a:
// most devices enforce two addresses while a rule may name thousands.
IPSet intersect_small(const IPSet& a, const IPSet& small) {
  IPSet out;
  for (Family f : {Family::V4, Family::V6}) {
    auto big = a.intervals(f);
    for (const Interval& s : small.intervals(f)) {
      auto it = std::lower_bound(big.begin(), big.end(), s.first,
                                 [](const Interval& iv, u128 x) { return iv.last < x; });
      for (; it != big.end() && it->first <= s.last; ++it) {
        out.add_range(Addr(f, std::max(it->first, s.first)), Addr(f, std::min(it->last, s.last)));
      }
    }
  }
  return out;
}


// One dst group of one rule as it applies to the device: flows from the
// source set `src` to `dsts` on `ports` with `protos`. `order` sorts terms
// into decision order; `accept` is the rule's action.
//
// `key` names everything but dsts: the dst group (rule and group index)
// and the source set's id. Two terms with one key filter identically, on
// any device; that is what lets devices share the work below.
struct Term {
  uint64_t key = 0;
  size_t order = 0;
  bool accept = true;
  const IPSet* src = nullptr;  // interned in Builder::Impl
  IPSet dsts;
  const PortSet* ports = nullptr;
  ProtoSet protos;
};

uint64_t term_key(uint32_t group_id, uint32_t src_id) { return (uint64_t{group_id} << 32) | src_id; }
uint32_t src_of(uint64_t key) { return static_cast<uint32_t>(key); }

// Sorted cut points of every interval's start and end+1 in one family.
std::vector<u128> cuts(const std::vector<Term>& terms, Family f) {
  std::vector<u128> out;
  for (const Term& t : terms) {
    for (const Interval& iv : t.dsts.intervals(f)) {
      out.push_back(iv.first);
      if (iv.last != max_raw(f)) out.push_back(iv.last + 1);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The allowed sources where exactly `terms` (in decision order) match:
// first-match, deny taking away what it decides. Without deny terms that is
// the union, built in one pass.
IPSet allowed_sources(const std::vector<const Term*>& terms) {
  if (terms.empty()) return {};
  bool accept_only = std::all_of(terms.begin(), terms.end(), [](const Term* t) { return t->accept; });
  if (accept_only) {
    // Distinct sets (a rule's groups share one), united pairwise in a
    // balanced tree: linear merges, N log k rather than a sort of N.
    std::vector<const IPSet*> sets;
    for (const Term* t : terms) {
      if (std::find(sets.begin(), sets.end(), t->src) == sets.end()) sets.push_back(t->src);
    }
    if (sets.size() == 1) return *sets[0];
    std::vector<IPSet> level;
    for (size_t i = 0; i + 1 < sets.size(); i += 2) level.push_back(*sets[i] | *sets[i + 1]);
    if (sets.size() % 2) level.push_back(*sets.back());
    while (level.size() > 1) {
      std::vector<IPSet> next;
      for (size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(level[i] | level[i + 1]);
      if (level.size() % 2) next.push_back(std::move(level.back()));
      level = std::move(next);
    }
    return std::move(level[0]);
  }
  IPSet allowed, decided;
  for (const Term* t : terms) {
    if (t->accept) allowed |= decided.empty() ? *t->src : *t->src - decided;
    decided |= *t->src;
  }
  return allowed;
}

// What decides a cell's sources: for accept-only terms the distinct source
// ids (their union), otherwise every term key in order behind a marker
// (~0, never a source id). Different ports, classes, zones and devices often
// come to the same key.
void memo_key(const std::vector<const Term*>& here, std::vector<uint64_t>& key) {
  key.clear();
  bool accept_only = std::all_of(here.begin(), here.end(), [](const Term* t) { return t->accept; });
  if (accept_only) {
    for (const Term* t : here) key.push_back(src_of(t->key));
    std::sort(key.begin(), key.end());
    key.erase(std::unique(key.begin(), key.end()), key.end());
  } else {
    key.push_back(~uint64_t{0});
    for (const Term* t : here) key.push_back(t->key);
  }
}

using SourceMemo = std::map<std::vector<uint64_t>, IPSet>;

// The cells of one protocol class: a sweep over the sorted port bounds of
// `terms`, keeping the set of terms that cover the current port as terms
// start and end (in decision order), instead of testing every term at every
// bound.
std::vector<Cell> sweep_ports(const std::vector<const Term*>& terms, SourceMemo& memo) {
  // (bound, term index): the term starts covering at a bound, or stops
  // covering at bound (= last + 1) when the index is tagged with `kEnd`.
  constexpr uint32_t kEnd = 0x80000000u;
  std::vector<std::pair<uint32_t, uint32_t>> events;
  for (uint32_t i = 0; i < terms.size(); ++i) {
    for (const PortRange& r : terms[i]->ports->ranges()) {
      events.push_back({r.first, i});
      events.push_back({uint32_t{r.last} + 1, i | kEnd});
    }
  }
  std::sort(events.begin(), events.end());
  std::vector<Cell> cells;
  std::vector<uint32_t> active;  // ascending term indexes = decision order
  std::vector<const Term*> here;
  std::vector<uint64_t> key;
  size_t e = 0;
  while (e < events.size()) {
    uint32_t at = events[e].first;
    for (; e < events.size() && events[e].first == at; ++e) {
      uint32_t i = events[e].second & ~kEnd;
      auto pos = std::lower_bound(active.begin(), active.end(), i);
      if (events[e].second & kEnd) {
        if (pos != active.end() && *pos == i) active.erase(pos);
      } else if (pos == active.end() || *pos != i) {
        active.insert(pos, i);
      }
    }
    if (active.empty() || at > 65535) continue;
    uint32_t next = e < events.size() ? events[e].first : 65536;
    PortRange pr{static_cast<uint16_t>(at), static_cast<uint16_t>(std::min<uint32_t>(next, 65536) - 1)};
    here.clear();
    for (uint32_t i : active) here.push_back(terms[i]);
    memo_key(here, key);
    auto hit = memo.find(key);
    if (hit == memo.end()) hit = memo.emplace(key, allowed_sources(here)).first;
    const IPSet& src = hit->second;
    if (src.empty()) continue;
    if (!cells.empty() && cells.back().ports.last + 1 == pr.first && cells.back().sources == src) {
      cells.back().ports.last = pr.last;
    } else {
      cells.push_back(Cell{pr, src});
    }
  }
  return cells;
}

// The protocol classes for one destination zone matched by `terms`.
std::vector<ProtoClass> classes_for(const std::vector<const Term*>& terms, SourceMemo& memo) {
  // Partition protocols by the terms they belong to.
  std::map<std::vector<uint32_t>, ProtoSet> by_terms;
  ProtoSet any;
  for (const Term* t : terms) any |= t->protos;
  for (int p : any) {
    std::vector<uint32_t> sig;
    for (uint32_t i = 0; i < terms.size(); ++i) {
      if (terms[i]->protos.contains(static_cast<uint8_t>(p))) sig.push_back(i);
    }
    by_terms[sig].add(static_cast<uint8_t>(p));
  }
  std::vector<ProtoClass> out;
  std::vector<const Term*> ts;
  for (const auto& [sig, protos] : by_terms) {
    ts.clear();
    for (uint32_t i : sig) ts.push_back(terms[i]);
    std::vector<Cell> cells = sweep_ports(ts, memo);
    if (cells.empty()) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](const ProtoClass& c) { return c.cells == cells; });
    if (same != out.end()) {
      same->protos |= protos;
    } else {
      out.push_back(ProtoClass{protos, std::move(cells)});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ProtoClass& a, const ProtoClass& b) { return *a.protos.begin() < *b.protos.begin(); });
  return out;
}

}  // namespace

// Work shared across devices. A device's table is, per destination piece,
// a function of the terms covering that piece; terms are named by keys that
// do not depend on the device (Term::key). So the classes of a piece are
// computed once per distinct key sequence, whichever device asks, and the
// allowed sources of a cell once per distinct set of sources. Devices
// receiving the same rules (same tags, same owner's groups) then cost a
// look-up each.
struct Builder::Impl {
  const ir::Program& prog;
  const Inventory& inv;
  std::vector<IPSet> via_routes;                 // per rule, as the Evaluator
  std::vector<std::vector<IPSet>> group_dsts;    // per rule, per group: its targets
  std::vector<std::vector<PortSet>> group_ports;  // per rule, per group
  std::vector<std::vector<uint32_t>> group_id;    // per rule, per group: dense id
  std::vector<uint32_t> rule_src_id;              // per rule: interned r.src
  std::vector<std::pair<uint32_t, uint32_t>> group_ref;  // dense id -> (rule, group)
  // Where each packet-filtering dst group points (dense ids), to find the
  // few that touch a device without testing them all; self groups, which
  // point at every owner, are listed apart.
  StabIndex targets;
  std::vector<uint32_t> self_groups;

  // Source sets by content, each stored once; ids index `sources`.
  std::vector<std::unique_ptr<IPSet>> sources;
  std::map<const IPSet*, uint32_t, IPSet::ContentLess> source_ids;
  // autogroup:self sources by (rule, owner login as written): the same
  // user's devices share them.
  std::map<std::pair<size_t, std::string>, uint32_t> self_ids;

  std::map<std::vector<uint64_t>, std::vector<ProtoClass>> classes_memo;
  SourceMemo source_memo;

  Impl(const ir::Program& p, const Inventory& i) : prog(p), inv(i) {
    via_routes.resize(prog.rules.size());
    group_dsts.resize(prog.rules.size());
    group_ports.resize(prog.rules.size());
    group_id.resize(prog.rules.size());
    rule_src_id.resize(prog.rules.size());
    uint32_t next_group = 0;
    for (const ir::Rule& r : prog.rules) {
      rule_src_id[r.id] = intern(r.src);
      size_t first_of_rule = group_ref.size();
      for (const ir::DstGroup& g : r.dst) {
        IPSetBuilder b;
        for (const ir::Target& t : g.targets) b.add(t.addrs);
        group_dsts[r.id].push_back(std::move(b).build());
        PortSet ports;
        for (const PortRange& pr : g.ports) ports.add(pr);
        group_ports[r.id].push_back(std::move(ports));
        uint32_t id = next_group++;
        group_id[r.id].push_back(id);
        group_ref.push_back({static_cast<uint32_t>(r.id), static_cast<uint32_t>(group_ref.size() - first_of_rule)});
        if (!filters(r) || group_ports[r.id].back().empty()) continue;
        if (g.self) {
          self_groups.push_back(id);
          continue;
        }
        for (Family f : {Family::V4, Family::V6})
          for (const Interval& iv : group_dsts[r.id].back().intervals(f)) targets.add(f, iv.first, iv.last, id);
      }
      if (r.via.empty()) continue;
      IPSet routes;
      for (const Device& d : inv.devices) {
        bool tagged = false;
        for (const std::string& t : r.via) tagged = tagged || d.has_tag(t);
        if (tagged) routes |= enforced_addresses(d);
      }
      via_routes[r.id] = std::move(routes);
    }
    targets.build();
  }

  // Whether a rule's packets are in the tables: not a capability grant,
  // and with deny rules, no grant other than an accepting one.
  bool filters(const ir::Rule& r) const {
    if (r.is_cap()) return false;
    return !(prog.has_deny && r.origin != ir::Origin::Acl && r.action != ir::Action::Accept);
  }

  uint32_t intern(const IPSet& s) {
    auto it = source_ids.find(&s);
    if (it != source_ids.end()) return it->second;
    sources.push_back(std::make_unique<IPSet>(s));
    uint32_t id = static_cast<uint32_t>(sources.size() - 1);
    source_ids.emplace(sources.back().get(), id);
    return id;
  }

  uint32_t self_source_id(const ir::Rule& r, size_t owner) {
    const Device& d = inv.devices[owner];
    if (d.tagged() || d.user.empty()) return intern(IPSet());
    auto [it, fresh] = self_ids.try_emplace({r.id, d.user}, 0);
    if (fresh) it->second = intern(ir::self_sources(r, inv, owner));
    return it->second;
  }

  // Decision order: with deny rules, acls first (first match), then the
  // accepting grants; otherwise compilation order (the union is the same).
  size_t order_of(const ir::Rule& r) const {
    if (prog.has_deny && r.origin != ir::Origin::Acl) return prog.rules.size() + r.id;
    return r.id;
  }

  Table build(size_t device);
};

Builder::Builder(const ir::Program& prog, const Inventory& inv) : impl_(std::make_unique<Impl>(prog, inv)) {}
Builder::~Builder() = default;

Table Builder::for_device(size_t device) const { return impl_->build(device); }

Table Builder::Impl::build(size_t device) {
  const Device& me = inv.devices[device];
  IPSet domain = enforced_addresses(me);
  bool routes = !me.enabled_routes.empty();

  // Devices whose own addresses this device enforces (autogroup:self is
  // resolved per owner of the destination address).
  std::vector<size_t> owners = {device};
  if (routes) {
    for (size_t i = 0; i < inv.devices.size(); ++i) {
      if (i == device) continue;
      for (const Addr& a : inv.devices[i].addresses) {
        if (domain.contains(a)) {
          owners.push_back(i);
          break;
        }
      }
    }
  }

  // The dst groups that can apply here: those whose targets touch the
  // domain, and every self group; in (rule, group) order as the ids are.
  std::vector<uint32_t> groups;
  for (Family f : {Family::V4, Family::V6})
    for (const Interval& iv : domain.intervals(f)) targets.query(f, iv.first, iv.last, groups);
  groups.insert(groups.end(), self_groups.begin(), self_groups.end());
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());

  std::vector<Term> terms;
  IPSet via_restrict;
  uint32_t via_rule = UINT32_MAX;
  for (uint32_t id : groups) {
    auto [rid, gi] = group_ref[id];
    const ir::Rule& r = prog.rules[rid];
    const IPSet* restrict = &domain;
    if (!r.via.empty()) {
      // Enforced only by the routers the rule names, never by another
      // router that happens to route the same prefix.
      if (via_rule != rid) {
        bool carries = false;
        for (const std::string& t : r.via) carries = carries || me.has_tag(t);
        via_restrict = carries ? intersect_small(via_routes[rid], domain) : IPSet();
      }
      via_rule = rid;
      restrict = &via_restrict;
    }
    if (restrict->empty()) continue;
    const ir::DstGroup& g = r.dst[gi];
    const PortSet& ports = group_ports[rid][gi];
    auto add = [&](uint32_t src_id, IPSet dsts) {
      const IPSet* src = sources[src_id].get();
      if (src->empty() || dsts.empty()) return;
      terms.push_back(Term{term_key(id, src_id), order_of(r), r.action == ir::Action::Accept, src,
                           std::move(dsts), &ports, r.protocols()});
    };
    if (g.self) {
      for (size_t o : owners) {
        IPSet dsts = intersect_small(inv.devices[o].address_set(), *restrict);
        if (dsts.empty()) continue;
        add(self_source_id(r, o), std::move(dsts));
      }
    } else {
      add(rule_src_id[rid], intersect_small(group_dsts[rid][gi], *restrict));
    }
  }
  std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) { return a.order < b.order; });

  // Split the domain into elementary intervals at every term boundary and
  // group them by the terms that cover them.
  std::map<std::vector<uint32_t>, IPSetBuilder> by_terms;
  for (Family f : {Family::V4, Family::V6}) {
    std::vector<u128> cut = cuts(terms, f);
    for (const Interval& iv : domain.intervals(f)) {
      auto it = std::upper_bound(cut.begin(), cut.end(), iv.first);
      u128 lo = iv.first;
      while (true) {
        u128 hi = (it != cut.end() && *it <= iv.last) ? *it - 1 : iv.last;
        IPRange piece{Addr(f, lo), Addr(f, hi)};
        std::vector<uint32_t> sig;
        for (uint32_t t = 0; t < terms.size(); ++t) {
          if (terms[t].dsts.contains(piece)) sig.push_back(t);
        }
        if (!sig.empty()) by_terms[sig].add(piece);
        if (hi == iv.last) break;
        lo = hi + 1;
        ++it;
      }
    }
  }

  // Each piece's classes, from the memo when some device (this one or
  // another) had a piece with the same term keys.
  std::vector<Zone> zones;
  std::vector<const std::vector<ProtoClass>*> zone_classes;  // memo entry per zone
  std::vector<const Term*> ts;
  std::vector<uint64_t> key;
  for (auto& [sig, dsts] : by_terms) {
    ts.clear();
    key.clear();
    for (uint32_t t : sig) {
      ts.push_back(&terms[t]);
      key.push_back(terms[t].key);
    }
    auto hit = classes_memo.find(key);
    if (hit == classes_memo.end()) hit = classes_memo.emplace(key, classes_for(ts, source_memo)).first;
    const std::vector<ProtoClass>& classes = hit->second;
    if (classes.empty()) continue;
    IPSet d = std::move(dsts).build();
    size_t same = 0;
    while (same < zones.size() && zone_classes[same] != &classes && zones[same].classes != classes) ++same;
    if (same < zones.size()) {
      zones[same].dsts |= d;
    } else {
      zones.push_back(Zone{std::move(d), classes});
      zone_classes.push_back(&classes);
    }
  }
  // Deterministic order: by the lowest destination (v4 before v6).
  std::sort(zones.begin(), zones.end(), [](const Zone& a, const Zone& b) {
    return a.dsts.ranges().front().first < b.dsts.ranges().front().first;
  });
  return Table(std::move(zones));
}

}  // namespace aclc::table
