#include "verifier/diff.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace aclc::verify {
namespace {

using ir::Rule;

// One step of a program's decision order and the verdict it gives.
struct Step {
  const Rule* rule;
  bool allow;
};

// decide()'s order: every packet rule in compilation order when there are
// no deny rules; otherwise the acls in order, then the accepting grants.
std::vector<Step> decision_order(const ir::Program& p) {
  std::vector<Step> out;
  if (!p.has_deny) {
    for (const Rule& r : p.rules) {
      if (!r.is_cap()) out.push_back({&r, true});
    }
    return out;
  }
  for (const Rule& r : p.rules) {
    if (r.origin == ir::Origin::Acl && !r.is_cap()) {
      out.push_back({&r, r.action == ir::Action::Accept});
    }
  }
  for (const Rule& r : p.rules) {
    if (r.origin != ir::Origin::Acl && r.action == ir::Action::Accept && !r.is_cap()) {
      out.push_back({&r, true});
    }
  }
  return out;
}

// What a `via` rule's routers enforce (as ir::Evaluator computes it).
IPSet via_routes(const Rule& r, const Inventory& inv) {
  IPSet routes;
  for (const Device& d : inv.devices) {
    bool tagged = false;
    for (const std::string& t : r.via) tagged = tagged || d.has_tag(t);
    if (!tagged) continue;
    for (const Addr& a : d.addresses) routes.add(a);
    for (const Prefix& p : d.subnet_routes()) routes.add(p);
    if (d.is_exit_node()) routes |= IPSet::internet();
  }
  return routes;
}

// A region of the address space on which every input set is uniform, and
// the sets (by index) that contain it.
struct Atom {
  IPSet addrs;
  std::vector<uint32_t> members;
};

// Splits the union of `sets` into atoms by membership (a sweep over the
// interval end points, one pass per family). Addresses in no set are left
// out. Deterministic: atoms come ordered by their member lists.
std::vector<Atom> partition(const std::vector<const IPSet*>& sets) {
  std::map<std::vector<uint32_t>, IPSetBuilder> by_members;
  for (Family fam : {Family::V4, Family::V6}) {
    struct Event {
      u128 at;
      uint32_t set;
      bool start;
    };
    std::vector<Event> events;
    for (uint32_t i = 0; i < sets.size(); ++i) {
      for (const Interval& iv : sets[i]->intervals(fam)) {
        events.push_back({iv.first, i, true});
        if (iv.last != max_raw(fam)) events.push_back({iv.last + 1, i, false});
      }
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return std::tie(a.at, a.set, a.start) < std::tie(b.at, b.set, b.start);
    });
    std::set<uint32_t> active;
    for (size_t i = 0; i < events.size();) {
      u128 at = events[i].at;
      for (; i < events.size() && events[i].at == at; ++i) {
        if (events[i].start) {
          active.insert(events[i].set);
        } else {
          active.erase(events[i].set);
        }
      }
      if (active.empty()) continue;
      u128 last = i < events.size() ? events[i].at - 1 : max_raw(fam);
      std::vector<uint32_t> key(active.begin(), active.end());
      by_members[std::move(key)].add_range(Addr(fam, at), Addr(fam, last));
    }
  }
  std::vector<Atom> out;
  out.reserve(by_members.size());
  for (auto& [members, builder] : by_members) {
    out.push_back({std::move(builder).build(), members});
  }
  return out;
}

// Splits 0..255 into classes no rule protocol set cuts; only classes some
// rule admits are returned.
std::vector<ProtoSet> protocol_atoms(const std::vector<ProtoSet>& sets) {
  std::map<std::vector<uint32_t>, ProtoSet> by_members;
  for (int p = 0; p < 256; ++p) {
    std::vector<uint32_t> members;
    for (uint32_t i = 0; i < sets.size(); ++i) {
      if (sets[i].contains(static_cast<uint8_t>(p))) members.push_back(i);
    }
    if (!members.empty()) by_members[members].add(static_cast<uint8_t>(p));
  }
  std::vector<ProtoSet> out;
  for (auto& [m, s] : by_members) out.push_back(s);
  return out;
}

// Order-preserving byte keys, so that merged groups sort deterministically.
void put_u64(std::string& k, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) k.push_back(static_cast<char>((v >> s) & 0xff));
}
void put_u128(std::string& k, u128 v) {
  put_u64(k, static_cast<uint64_t>(v >> 64));
  put_u64(k, static_cast<uint64_t>(v));
}
std::string key_of(const IPSet& s) {
  std::string k;
  for (Family f : {Family::V4, Family::V6}) {
    put_u64(k, s.intervals(f).size());
    for (const Interval& iv : s.intervals(f)) {
      put_u128(k, iv.first);
      put_u128(k, iv.last);
    }
  }
  return k;
}
std::string key_of(const PortSet& s) {
  std::string k;
  put_u64(k, s.ranges().size());
  for (const PortRange& r : s.ranges()) put_u64(k, (uint64_t{r.first} << 16) | r.last);
  return k;
}
std::string key_of(const ProtoSet& s) {
  std::string k(32, '\0');
  for (int p : s) k[p / 8] = static_cast<char>(k[p / 8] | (1 << (7 - p % 8)));
  return k;
}

// Why one cell changed: the rule that allows it, the deny rule (if any) on
// the side that denies it, and whether autogroup:self granted it.
struct Reason {
  Change change;
  size_t rule;
  int64_t blocker;  // -1: no rule
  bool self;
  std::string key() const {
    std::string k;
    k.push_back(change == Change::Added ? 'a' : 'r');
    put_u64(k, rule);
    put_u64(k, static_cast<uint64_t>(blocker + 1));
    k.push_back(self ? '1' : '0');
    return k;
  }
};

struct Box {
  Reason reason;
  ProtoSet protos;
  PortSet ports;
  IPSetBuilder src_builder;
  IPSet src;
  IPSetBuilder dst_builder;
};

// One rule's contribution on one destination atom.
struct Piece {
  int side;      // 0 old, 1 new
  size_t step;   // index in the side's decision order
  const IPSet* src;
  PortSet ports;
  bool self;
};

// A port range of one cell and the piece deciding it (-1: nothing matches).
struct Segment {
  PortSet ports;
  int piece;
};

class Differ {
 public:
  Differ(const DiffSide& old_side, const DiffSide& new_side, const Inventory& inv)
      : inv_(inv) {
    sides_[0] = &old_side;
    sides_[1] = &new_side;
    for (int s = 0; s < 2; ++s) order_[s] = decision_order(*sides_[s]->program);
  }

  SemanticDiff run();

 private:
  void build_features();
  void diff_atom(const Atom& dst_atom, size_t dst_index);
  bool same_decisions(const std::vector<Piece>& pieces) const;
  std::vector<Segment> decide(const std::vector<Piece>& pieces,
                              const std::vector<uint32_t>& active, int side,
                              const ProtoSet& proto) const;
  const IPSet& self_sources_of(int side, const Rule& r, size_t device);
  RuleRef ref(int side, size_t rule_id) const;
  FlowGroup finish(Box& box) const;
  std::vector<size_t> devices_in(const IPSet& s) const;

  const Inventory& inv_;
  const DiffSide* sides_[2];
  std::vector<Step> order_[2];
  std::vector<ProtoSet> proto_atoms_;

  // Destination features: what splits destination atoms.
  std::deque<IPSet> feature_sets_;
  std::vector<std::vector<int>> group_feature_[2];  // [rule id][group]
  std::vector<int> via_feature_[2];                 // [rule id], -1 none
  std::vector<int> feature_device_;                 // feature -> device or -1
  bool self_used_ = false;

  std::map<std::tuple<int, size_t, size_t>, IPSet> self_cache_;
  std::vector<char> flags_;  // scratch: features active on the current atom
  std::map<std::string, Box> by_dst_;  // reason+protos+ports+dst atom
  std::vector<std::pair<Addr, size_t>> addr_devices_;  // sorted
};

int add_feature(std::deque<IPSet>& sets, std::vector<int>& device_of, IPSet s,
                int device) {
  sets.push_back(std::move(s));
  device_of.push_back(device);
  return static_cast<int>(sets.size() - 1);
}

void Differ::build_features() {
  std::vector<ProtoSet> protos;
  for (int s = 0; s < 2; ++s) {
    const ir::Program& p = *sides_[s]->program;
    group_feature_[s].assign(p.rules.size(), {});
    via_feature_[s].assign(p.rules.size(), -1);
    for (const Step& st : order_[s]) {
      const Rule& r = *st.rule;
      protos.push_back(r.protocols());
      if (r.has_self()) self_used_ = true;
      for (const ir::DstGroup& g : r.dst) {
        if (g.self) {
          group_feature_[s][r.id].push_back(-1);
          continue;
        }
        IPSetBuilder b;
        for (const ir::Target& t : g.targets) b.add(t.addrs);
        group_feature_[s][r.id].push_back(
            add_feature(feature_sets_, feature_device_, std::move(b).build(), -1));
      }
      if (!r.via.empty()) {
        via_feature_[s][r.id] =
            add_feature(feature_sets_, feature_device_, via_routes(r, inv_), -1);
      }
    }
  }
  if (self_used_) {
    for (size_t d = 0; d < inv_.devices.size(); ++d) {
      add_feature(feature_sets_, feature_device_, inv_.devices[d].address_set(),
                  static_cast<int>(d));
    }
  }
  proto_atoms_ = protocol_atoms(protos);
  for (size_t d = 0; d < inv_.devices.size(); ++d) {
    for (const Addr& a : inv_.devices[d].addresses) addr_devices_.push_back({a, d});
  }
  std::sort(addr_devices_.begin(), addr_devices_.end());
}

const IPSet& Differ::self_sources_of(int side, const Rule& r, size_t device) {
  auto key = std::make_tuple(side, r.id, device);
  auto it = self_cache_.find(key);
  if (it == self_cache_.end()) {
    it = self_cache_.emplace(key, ir::self_sources(r, inv_, device)).first;
  }
  return it->second;
}

std::vector<Segment> Differ::decide(const std::vector<Piece>& pieces,
                                    const std::vector<uint32_t>& active, int side,
                                    const ProtoSet& proto) const {
  std::vector<Segment> out;
  PortSet remaining = PortSet::all();
  for (uint32_t i : active) {
    const Piece& pc = pieces[i];
    if (pc.side != side) continue;
    // Protocol atoms are never cut by a rule: one member decides.
    if (!order_[side][pc.step].rule->protocols().contains(
            static_cast<uint8_t>(*proto.begin()))) {
      continue;
    }
    PortSet decided = remaining & pc.ports;
    if (decided.empty()) continue;
    remaining -= pc.ports;
    out.push_back({std::move(decided), static_cast<int>(i)});
    if (remaining.empty()) break;
  }
  if (!remaining.empty()) out.push_back({std::move(remaining), -1});
  return out;
}

// True when both sides reach the atom through the same ordered pieces
// (same sources, ports, protocols and verdicts): then they decide every
// flow to it alike, and the common case of a small edit skips the atom.
bool Differ::same_decisions(const std::vector<Piece>& pieces) const {
  size_t n_old = 0;
  while (n_old < pieces.size() && pieces[n_old].side == 0) ++n_old;
  if (pieces.size() != 2 * n_old) return false;
  for (size_t i = 0; i < n_old; ++i) {
    const Piece& a = pieces[i];
    const Piece& b = pieces[n_old + i];
    const Step& sa = order_[0][a.step];
    const Step& sb = order_[1][b.step];
    if (sa.allow != sb.allow || !(a.ports == b.ports) ||
        !(sa.rule->protocols() == sb.rule->protocols()) || !(*a.src == *b.src)) {
      return false;
    }
  }
  return true;
}

void Differ::diff_atom(const Atom& dst_atom, size_t dst_index) {
  for (uint32_t f : dst_atom.members) flags_[f] = 1;
  int device = -1;
  for (uint32_t f : dst_atom.members) {
    if (feature_device_[f] >= 0) device = feature_device_[f];
  }

  std::vector<Piece> pieces;
  for (int s = 0; s < 2; ++s) {
    for (size_t i = 0; i < order_[s].size(); ++i) {
      const Rule& r = *order_[s][i].rule;
      int via = via_feature_[s][r.id];
      if (!r.via.empty() && (via < 0 || !flags_[via])) continue;
      PortSet ports, self_ports;
      for (size_t g = 0; g < r.dst.size(); ++g) {
        const ir::DstGroup& grp = r.dst[g];
        PortSet& into = grp.self ? self_ports : ports;
        if (!grp.self && !flags_[group_feature_[s][r.id][g]]) continue;
        for (const PortRange& pr : grp.ports) into.add(pr);
      }
      if (!ports.empty()) pieces.push_back({s, i, &r.src, std::move(ports), false});
      if (!self_ports.empty() && device >= 0) {
        const IPSet& src = self_sources_of(s, r, static_cast<size_t>(device));
        if (!src.empty()) pieces.push_back({s, i, &src, std::move(self_ports), true});
      }
    }
  }
  for (uint32_t f : dst_atom.members) flags_[f] = 0;
  if (pieces.empty() || same_decisions(pieces)) return;

  std::vector<const IPSet*> src_sets;
  src_sets.reserve(pieces.size());
  for (const Piece& p : pieces) src_sets.push_back(p.src);
  for (const Atom& src_atom : partition(src_sets)) {
    // Per reason, the ports that changed for each protocol atom.
    std::map<std::string, std::pair<Reason, std::vector<std::pair<size_t, PortSet>>>> changed;
    for (size_t pa = 0; pa < proto_atoms_.size(); ++pa) {
      auto olds = decide(pieces, src_atom.members, 0, proto_atoms_[pa]);
      auto news = decide(pieces, src_atom.members, 1, proto_atoms_[pa]);
      for (const Segment& o : olds) {
        bool old_allow = o.piece >= 0 && order_[0][pieces[o.piece].step].allow;
        for (const Segment& n : news) {
          bool new_allow = n.piece >= 0 && order_[1][pieces[n.piece].step].allow;
          if (old_allow == new_allow) continue;
          PortSet both = o.ports & n.ports;
          if (both.empty()) continue;
          const Segment& allowing = new_allow ? n : o;
          const Segment& denying = new_allow ? o : n;
          int side = new_allow ? 1 : 0;
          const Piece& ap = pieces[allowing.piece];
          Reason why{new_allow ? Change::Added : Change::Removed,
                     order_[side][ap.step].rule->id, -1, ap.self};
          if (denying.piece >= 0) {
            why.blocker = static_cast<int64_t>(
                order_[1 - side][pieces[denying.piece].step].rule->id);
          }
          auto& entry = changed[why.key()];
          entry.first = why;
          entry.second.push_back({pa, std::move(both)});
        }
      }
    }
    for (auto& [rk, entry] : changed) {
      // Protocol atoms with identical port sets merge into one box.
      std::map<std::string, std::pair<ProtoSet, PortSet>> by_ports;
      std::map<size_t, PortSet> per_atom;
      for (auto& [pa, ports] : entry.second) per_atom[pa] |= ports;
      for (auto& [pa, ports] : per_atom) {
        auto& slot = by_ports[key_of(ports)];
        slot.first |= proto_atoms_[pa];
        slot.second = ports;
      }
      for (auto& [pk, pp] : by_ports) {
        std::string k = rk + key_of(pp.first) + pk;
        put_u64(k, dst_index);
        auto [it, fresh] = by_dst_.try_emplace(k);
        if (fresh) {
          it->second.reason = entry.first;
          it->second.protos = pp.first;
          it->second.ports = pp.second;
        }
        it->second.src_builder.add(src_atom.addrs);
        it->second.dst_builder.add(dst_atom.addrs);
      }
    }
  }
}

RuleRef Differ::ref(int side, size_t rule_id) const {
  const Rule& r = sides_[side]->program->rules[rule_id];
  RuleRef out;
  out.id = rule_id;
  out.file = sides_[side]->file;
  out.pos = r.pos;
  out.origin = r.origin_name();
  out.deny = r.action == ir::Action::Deny;
  return out;
}

std::vector<size_t> Differ::devices_in(const IPSet& s) const {
  std::set<size_t> found;
  for (Family fam : {Family::V4, Family::V6}) {
    for (const Interval& iv : s.intervals(fam)) {
      auto it = std::lower_bound(addr_devices_.begin(), addr_devices_.end(),
                                 std::make_pair(Addr(fam, iv.first), size_t{0}));
      for (; it != addr_devices_.end() && it->first <= Addr(fam, iv.last); ++it) {
        found.insert(it->second);
      }
    }
  }
  return {found.begin(), found.end()};
}

FlowGroup Differ::finish(Box& box) const {
  FlowGroup g;
  const Reason& why = box.reason;
  int allow_side = why.change == Change::Added ? 1 : 0;
  g.change = why.change;
  g.rule = ref(allow_side, why.rule);
  if (why.blocker >= 0) g.blocker = ref(1 - allow_side, static_cast<size_t>(why.blocker));
  g.src = std::move(box.src);
  g.dst = std::move(box.dst_builder).build();
  g.protos = box.protos;
  g.ports = box.ports;
  g.via_self = why.self;

  const DiffSide& side = *sides_[allow_side];
  if (why.rule < side.src_selectors.size()) {
    IPSet covered;
    for (const NamedSet& n : side.src_selectors[why.rule]) {
      if (!n.addrs.overlaps(g.src)) continue;
      if (std::find(g.src_labels.begin(), g.src_labels.end(), n.text) == g.src_labels.end()) {
        g.src_labels.push_back(n.text);
      }
      covered |= n.addrs;
    }
    g.src_whole = !g.src_labels.empty() && covered == g.src;
  }
  const Rule& r = side.program->rules[why.rule];
  if (why.self) {
    g.dst_labels.push_back("autogroup:self");
  } else {
    IPSet covered;
    for (const ir::DstGroup& grp : r.dst) {
      if (grp.self) continue;
      IPSetBuilder b;
      for (const ir::Target& t : grp.targets) b.add(t.addrs);
      IPSet addrs = std::move(b).build();
      if (!addrs.overlaps(g.dst)) continue;
      if (std::find(g.dst_labels.begin(), g.dst_labels.end(), grp.text) == g.dst_labels.end()) {
        g.dst_labels.push_back(grp.text);
      }
      covered |= addrs;
    }
    g.dst_whole = !g.dst_labels.empty() && covered == g.dst;
  }
  g.src_devices = devices_in(g.src);
  g.dst_devices = devices_in(g.dst);
  return g;
}

SemanticDiff Differ::run() {
  build_features();
  flags_.assign(feature_sets_.size(), 0);
  std::vector<const IPSet*> sets;
  for (const IPSet& s : feature_sets_) sets.push_back(&s);
  std::vector<Atom> dst_atoms = partition(sets);
  for (size_t i = 0; i < dst_atoms.size(); ++i) diff_atom(dst_atoms[i], i);

  // Destination atoms with the same reason, protocols, ports and sources
  // merge into one box.
  std::map<std::string, Box> boxes;
  for (auto& [k, b] : by_dst_) {
    IPSet src = std::move(b.src_builder).build();
    std::string key = b.reason.key() + key_of(b.protos) + key_of(b.ports) + key_of(src);
    auto [it, fresh] = boxes.try_emplace(key);
    if (fresh) {
      it->second.reason = b.reason;
      it->second.protos = b.protos;
      it->second.ports = b.ports;
      it->second.src = src;
    }
    it->second.dst_builder.add(std::move(b.dst_builder).build());
  }
  SemanticDiff out;
  for (auto& [k, b] : boxes) {
    FlowGroup g = finish(b);
    (g.change == Change::Added ? out.added : out.removed).push_back(std::move(g));
  }
  // Readers follow the file: order by the rule's position (the map order
  // already fixed everything else).
  for (auto* list : {&out.added, &out.removed}) {
    std::stable_sort(list->begin(), list->end(), [](const FlowGroup& a, const FlowGroup& b) {
      return std::tie(a.rule.pos.offset, a.rule.id) < std::tie(b.rule.pos.offset, b.rule.id);
    });
  }
  return out;
}

}  // namespace

SemanticDiff diff_programs(const DiffSide& old_side, const DiffSide& new_side,
                           const Inventory& inv) {
  Differ d(old_side, new_side, inv);
  return d.run();
}

const FlowGroup* find_flow(const SemanticDiff& diff, const ir::Flow& f) {
  for (const auto* list : {&diff.added, &diff.removed}) {
    for (const FlowGroup& g : *list) {
      if (g.protos.contains(f.proto) && g.ports.contains(f.port) && g.src.contains(f.src) &&
          g.dst.contains(f.dst)) {
        return &g;
      }
    }
  }
  return nullptr;
}

}  // namespace aclc::verify
