#include "compiler/back/table_build.h"

#include <algorithm>
#include <map>

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

// One dst group of one rule as it applies to the device: flows from `src`
// to `dsts` on `ports` with `protos`. `order` sorts terms into decision
// order; `accept` is the rule's action.
struct Term {
  size_t order = 0;
  bool accept = true;
  const IPSet* src = nullptr;  // into the Program, or into `owned`
  IPSet dsts;
  PortSet ports;
  ProtoSet protos;
};

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

// Sources already computed, keyed by what decides them: for accept-only
// terms the distinct source sets (their union), otherwise the terms in
// order (behind a null marker). Different ports, protocol classes and zones
// of one device often come to the same key.
using SourceMemo = std::map<std::vector<const void*>, IPSet>;

void memo_key(const std::vector<const Term*>& here, std::vector<const void*>& key) {
  key.clear();
  bool accept_only = std::all_of(here.begin(), here.end(), [](const Term* t) { return t->accept; });
  if (accept_only) {
    for (const Term* t : here) key.push_back(t->src);
    std::sort(key.begin(), key.end());
    key.erase(std::unique(key.begin(), key.end()), key.end());
  } else {
    key.push_back(nullptr);
    for (const Term* t : here) key.push_back(t);
  }
}

// Orders sets by content, so that equal source sets share one pointer.
struct SetLess {
  bool operator()(const IPSet* a, const IPSet* b) const {
    for (Family f : {Family::V4, Family::V6}) {
      auto x = a->intervals(f), y = b->intervals(f);
      if (x.size() != y.size()) return x.size() < y.size();
      for (size_t i = 0; i < x.size(); ++i) {
        if (x[i].first != y[i].first) return x[i].first < y[i].first;
        if (x[i].last != y[i].last) return x[i].last < y[i].last;
      }
    }
    return false;
  }
};

// The protocol classes for one destination zone matched by `terms`.

std::vector<ProtoClass> classes_for(const std::vector<const Term*>& terms, SourceMemo& memo) {
  // Partition protocols by the terms they belong to.
  std::map<std::vector<uint32_t>, ProtoSet> by_terms;
  for (int p = 0; p < 256; ++p) {
    std::vector<uint32_t> sig;
    for (uint32_t i = 0; i < terms.size(); ++i) {
      if (terms[i]->protos.contains(static_cast<uint8_t>(p))) sig.push_back(i);
    }
    if (!sig.empty()) by_terms[sig].add(static_cast<uint8_t>(p));
  }
  std::vector<ProtoClass> out;
  for (const auto& [sig, protos] : by_terms) {
    // Elementary port intervals from the terms' port bounds.
    std::vector<uint32_t> bounds = {0, 65536};
    for (uint32_t i : sig) {
      for (const PortRange& r : terms[i]->ports.ranges()) {
        bounds.push_back(r.first);
        bounds.push_back(uint32_t{r.last} + 1);
      }
    }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    std::vector<Cell> cells;
    std::vector<const Term*> here;
    std::vector<const void*> key;
    for (size_t b = 0; b + 1 < bounds.size(); ++b) {
      PortRange pr{static_cast<uint16_t>(bounds[b]), static_cast<uint16_t>(bounds[b + 1] - 1)};
      here.clear();
      for (uint32_t i : sig) {
        if (terms[i]->ports.contains(pr.first)) here.push_back(terms[i]);
      }
      memo_key(here, key);
      auto hit = memo.find(key);
      if (hit == memo.end()) hit = memo.emplace(key, allowed_sources(here)).first;
      IPSet src = hit->second;
      if (src.empty()) continue;
      if (!cells.empty() && cells.back().ports.last + 1 == pr.first && cells.back().sources == src) {
        cells.back().ports.last = pr.last;
      } else {
        cells.push_back(Cell{pr, std::move(src)});
      }
    }
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

struct Builder::Impl {
  const ir::Program& prog;
  const Inventory& inv;
  std::vector<IPSet> via_routes;               // per rule, as the Evaluator
  std::vector<std::vector<IPSet>> group_dsts;  // per rule, per group: its targets
  std::vector<PortSet> no_ports;

  Impl(const ir::Program& p, const Inventory& i) : prog(p), inv(i) {
    via_routes.resize(prog.rules.size());
    group_dsts.resize(prog.rules.size());
    for (const ir::Rule& r : prog.rules) {
      for (const ir::DstGroup& g : r.dst) {
        IPSetBuilder b;
        for (const ir::Target& t : g.targets) b.add(t.addrs);
        group_dsts[r.id].push_back(std::move(b).build());
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
  }

  // Decision order: with deny rules, acls first (first match), then the
  // accepting grants; otherwise compilation order (the union is the same).
  size_t order_of(const ir::Rule& r) const {
    if (prog.has_deny && r.origin != ir::Origin::Acl) return prog.rules.size() + r.id;
    return r.id;
  }
};

Builder::Builder(const ir::Program& prog, const Inventory& inv) : impl_(std::make_unique<Impl>(prog, inv)) {}
Builder::~Builder() = default;

Table Builder::for_device(size_t device) const {
  const ir::Program& prog = impl_->prog;
  const Inventory& inv = impl_->inv;
  const Device& me = inv.devices[device];
  IPSet domain = enforced_addresses(me);
  bool routes = !me.enabled_routes.empty();

  // Devices whose own addresses this device enforces (autogroup:self is
  // resolved per owner of the destination address).
  std::vector<size_t> owners = {device};
  if (routes) {
    for (size_t i = 0; i < inv.devices.size(); ++i) {
      if (i != device && domain.overlaps(inv.devices[i].address_set())) owners.push_back(i);
    }
  }

  std::vector<Term> terms;
  std::vector<std::unique_ptr<IPSet>> owned;  // self sources, kept alive
  for (const ir::Rule& r : prog.rules) {
    if (r.is_cap()) continue;
    if (prog.has_deny && r.origin != ir::Origin::Acl && r.action != ir::Action::Accept) continue;
    IPSet restrict = r.via.empty() ? domain : intersect_small(impl_->via_routes[r.id], domain);
    if (restrict.empty()) continue;
    for (size_t gi = 0; gi < r.dst.size(); ++gi) {
      const ir::DstGroup& g = r.dst[gi];
      PortSet ports;
      for (const PortRange& p : g.ports) ports.add(p);
      if (ports.empty()) continue;
      auto add = [&](const IPSet* src, IPSet dsts) {
        if (src->empty() || dsts.empty()) return;
        terms.push_back(Term{impl_->order_of(r), r.action == ir::Action::Accept, src, std::move(dsts), ports,
                             r.protocols()});
      };
      if (g.self) {
        for (size_t o : owners) {
          IPSet dsts = intersect_small(inv.devices[o].address_set(), restrict);
          if (dsts.empty()) continue;
          owned.push_back(std::make_unique<IPSet>(ir::self_sources(r, inv, o)));
          add(owned.back().get(), std::move(dsts));
        }
      } else {
        add(&r.src, intersect_small(impl_->group_dsts[r.id][gi], restrict));
      }
    }
  }
  std::stable_sort(terms.begin(), terms.end(), [](const Term& a, const Term& b) { return a.order < b.order; });
  // Equal source sets (a group named by several rules) become one pointer.
  std::map<const IPSet*, const IPSet*, SetLess> canonical;
  for (Term& t : terms) t.src = canonical.try_emplace(t.src, t.src).first->second;

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

  std::vector<Zone> zones;
  std::vector<const Term*> ts;
  SourceMemo memo;
  for (auto& [sig, dsts] : by_terms) {
    ts.clear();
    for (uint32_t t : sig) ts.push_back(&terms[t]);
    std::vector<ProtoClass> classes = classes_for(ts, memo);
    if (classes.empty()) continue;
    IPSet d = std::move(dsts).build();
    auto same = std::find_if(zones.begin(), zones.end(), [&](const Zone& z) { return z.classes == classes; });
    if (same != zones.end()) {
      same->dsts |= d;
    } else {
      zones.push_back(Zone{std::move(d), std::move(classes)});
    }
  }
  // Deterministic order: by the lowest destination (v4 before v6).
  std::sort(zones.begin(), zones.end(), [](const Zone& a, const Zone& b) {
    return a.dsts.ranges().front().first < b.dsts.ranges().front().first;
  });
  return Table(std::move(zones));
}

}  // namespace aclc::table
