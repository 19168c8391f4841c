#include "runtime/filter/table_view.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace aclc::runtime::filter {
namespace {

using bundle::AddrSet;
using bundle::u128;

// Sorts and merges overlapping or touching intervals, so that AddrSet's
// binary search holds.
template <typename T>
void normalize(std::vector<std::pair<T, T>>& v) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<T, T>> out;
  for (const auto& iv : v) {
    if (!out.empty() && (out.back().second == T(~T(0)) || iv.first <= out.back().second + 1)) {
      out.back().second = std::max(out.back().second, iv.second);
    } else {
      out.push_back(iv);
    }
  }
  v = std::move(out);
}

void add_all(AddrSet& into, const AddrSet& from) {
  into.v4.insert(into.v4.end(), from.v4.begin(), from.v4.end());
  into.v6.insert(into.v6.end(), from.v6.begin(), from.v6.end());
}

bool contains(const AddrSet& s, uint8_t family, u128 a) {
  if (family == 4) return a <= 0xffffffffu && s.contains_v4(uint32_t(a));
  return family == 6 && s.contains_v6(a);
}

}  // namespace

TableView::TableView(std::shared_ptr<const bundle::Bundle> b) : bundle_(std::move(b)) {
  for (const bundle::Prefix& p : bundle_->addresses) {
    if (p.family == 4 && p.bits <= 32) {
      uint32_t host = p.bits == 0 ? 0xffffffffu : (uint32_t(1) << (32 - p.bits)) - 1;
      own_.v4.emplace_back(uint32_t(p.addr), uint32_t(p.addr) | host);
    } else if (p.family == 6 && p.bits <= 128) {
      u128 host = p.bits == 0 ? ~u128(0) : p.bits == 128 ? 0 : (u128(1) << (128 - p.bits)) - 1;
      own_.v6.emplace_back(p.addr, p.addr | host);
    }
  }
  normalize(own_.v4);
  normalize(own_.v6);

  const auto& zones = bundle_->filter;
  any_source_.resize(zones.size());
  base_.resize(zones.size());
  for (size_t z = 0; z < zones.size(); ++z) {
    AddrSet& any = any_source_[z];
    for (size_t c = 0; c < zones[z].classes.size(); ++c) {
      const bundle::ProtoClass& klass = zones[z].classes[c];
      base_[z].push_back(uint32_t(cells_.size()));
      for (size_t i = 0; i < klass.cells.size(); ++i) {
        const bundle::Cell& cell = klass.cells[i];
        cells_.push_back(CellName{uint16_t(z), uint16_t(c), uint32_t(i), &klass,
                                  cell.port_first, cell.port_last});
        add_all(any, cell.sources);
      }
    }
    normalize(any.v4);
    normalize(any.v6);
  }
}

int TableView::zone_of(uint8_t family, u128 dst) const {
  const auto& zones = bundle_->filter;
  for (size_t z = 0; z < zones.size(); ++z) {
    if (contains(zones[z].dsts, family, dst)) return int(z);
  }
  return -1;
}

bool TableView::is_own(uint8_t family, u128 dst) const { return contains(own_, family, dst); }

bool TableView::is_local(uint8_t family, u128 dst) const {
  return is_own(family, dst) || zone_of(family, dst) >= 0;
}

int TableView::cell_for(int zone, uint8_t family, u128 src, uint8_t proto,
                        uint16_t port) const {
  if (zone < 0) return -1;
  const bundle::Zone& z = bundle_->filter[size_t(zone)];
  for (size_t c = 0; c < z.classes.size(); ++c) {
    const bundle::ProtoClass& klass = z.classes[c];
    if (!std::binary_search(klass.protos.begin(), klass.protos.end(), proto)) continue;
    auto it = std::upper_bound(klass.cells.begin(), klass.cells.end(), port,
                               [](uint16_t p, const bundle::Cell& x) { return p < x.port_first; });
    if (it == klass.cells.begin()) return -1;
    const bundle::Cell& cell = *std::prev(it);
    if (port > cell.port_last || !contains(cell.sources, family, src)) return -1;
    return int(base_[size_t(zone)][c] + uint32_t(std::prev(it) - klass.cells.begin()));
  }
  return -1;  // classes are disjoint: no other class holds proto
}

bool TableView::any_rule_admits(int zone, uint8_t family, u128 src) const {
  return zone >= 0 && contains(any_source_[size_t(zone)], family, src);
}

}  // namespace aclc::runtime::filter
