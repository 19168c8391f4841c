#include "compiler/back/table.h"

#include <algorithm>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace aclc::table {

// Flat arrays, one per field, so that each binary search touches one
// contiguous array of keys. Indexes are uint32_t to keep them small.
struct Table::Index {
  // Destination zones per family: sorted disjoint intervals -> zone.
  std::vector<uint32_t> z4_first, z4_last, z4_zone;
  std::vector<u128> z6_first, z6_last;
  std::vector<uint32_t> z6_zone;
  // zone * 256 + proto -> class + 1 (0: no class).
  std::vector<uint32_t> proto_class;
  // Class -> its cells [cell_begin[c], cell_begin[c + 1]).
  std::vector<uint32_t> cell_begin;
  // Cells: port bounds and source set. Identical source sets are stored
  // once: set k's intervals are [src_begin[k], src_begin[k + 1]) of each
  // family.
  std::vector<uint16_t> cell_first, cell_last;
  std::vector<uint32_t> cell_src;
  std::vector<uint32_t> src4_begin, src6_begin;
  std::vector<uint32_t> s4_first, s4_last;
  std::vector<u128> s6_first, s6_last;

  size_t bytes() const {
    auto b = [](const auto& v) { return v.size() * sizeof(v[0]); };
    return b(z4_first) + b(z4_last) + b(z4_zone) + b(z6_first) + b(z6_last) + b(z6_zone) +
           b(proto_class) + b(cell_begin) + b(cell_first) + b(cell_last) + b(cell_src) + b(src4_begin) +
           b(src6_begin) + b(s4_first) + b(s4_last) + b(s6_first) + b(s6_last);
  }
};

namespace {

// Position of the interval containing x among sorted disjoint intervals
// [first[i], last[i]] restricted to [lo, hi), or -1. Branch-free binary
// search (the compare becomes a conditional move): a mispredicted branch per
// step would cost more than the step.
template <typename T>
long find_interval(const std::vector<T>& first, const std::vector<T>& last, size_t lo, size_t hi,
                   T x) {
  size_t len = hi - lo;
  if (len == 0) return -1;
  const T* base = first.data() + lo;
  while (len > 1) {
    size_t half = len / 2;
    base = (base[half] <= x) ? base + half : base;
    len -= half;
  }
  // base is the last element <= x, if any is.
  if (*base > x) return -1;
  size_t i = static_cast<size_t>(base - first.data());
  return x <= last[i] ? static_cast<long>(i) : -1;
}

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("table: " + what); }

void validate(const std::vector<Zone>& zones) {
  IPSet seen;
  for (size_t z = 0; z < zones.size(); ++z) {
    const Zone& zone = zones[z];
    std::string at = "zone " + std::to_string(z);
    if (zone.dsts.empty()) invalid(at + " has no destinations");
    if (seen.overlaps(zone.dsts)) invalid(at + " overlaps an earlier zone");
    seen |= zone.dsts;
    ProtoSet protos;
    for (size_t c = 0; c < zone.classes.size(); ++c) {
      const ProtoClass& cls = zone.classes[c];
      std::string cat = at + " class " + std::to_string(c);
      if (cls.protos.empty()) invalid(cat + " has no protocols");
      if (!(protos & cls.protos).empty()) invalid(cat + " repeats a protocol of an earlier class");
      protos |= cls.protos;
      if (cls.cells.empty()) invalid(cat + " has no cells");
      for (size_t i = 0; i < cls.cells.size(); ++i) {
        const Cell& cell = cls.cells[i];
        std::string ccat = cat + " cell " + std::to_string(i);
        if (cell.ports.first > cell.ports.last) invalid(ccat + " has an empty port range");
        if (i > 0 && cls.cells[i - 1].ports.last >= cell.ports.first)
          invalid(ccat + " is not after the previous cell");
        if (cell.sources.empty()) invalid(ccat + " has no sources");
      }
    }
  }
}

}  // namespace

Table::Table() : index_(new Index) { index_->cell_begin.push_back(0); }

Table::Table(std::vector<Zone> zones) : zones_(std::move(zones)), index_(nullptr) {
  validate(zones_);
  auto ix = std::make_unique<Index>();
  // Zones, sorted by address across zones.
  struct Span4 { uint32_t first, last, zone; };
  struct Span6 { u128 first, last; uint32_t zone; };
  std::vector<Span4> z4;
  std::vector<Span6> z6;
  for (size_t z = 0; z < zones_.size(); ++z) {
    for (const Interval& iv : zones_[z].dsts.intervals(Family::V4))
      z4.push_back({static_cast<uint32_t>(iv.first), static_cast<uint32_t>(iv.last), static_cast<uint32_t>(z)});
    for (const Interval& iv : zones_[z].dsts.intervals(Family::V6))
      z6.push_back({iv.first, iv.last, static_cast<uint32_t>(z)});
  }
  std::sort(z4.begin(), z4.end(), [](const Span4& a, const Span4& b) { return a.first < b.first; });
  std::sort(z6.begin(), z6.end(), [](const Span6& a, const Span6& b) { return a.first < b.first; });
  for (const Span4& s : z4) {
    ix->z4_first.push_back(s.first);
    ix->z4_last.push_back(s.last);
    ix->z4_zone.push_back(s.zone);
  }
  for (const Span6& s : z6) {
    ix->z6_first.push_back(s.first);
    ix->z6_last.push_back(s.last);
    ix->z6_zone.push_back(s.zone);
  }
  // Classes and cells.
  ix->proto_class.assign(zones_.size() * 256, 0);
  ix->cell_begin.push_back(0);
  ix->src4_begin.push_back(0);
  ix->src6_begin.push_back(0);
  uint32_t cls_id = 0;
  std::map<const IPSet*, uint32_t, IPSet::ContentLess> set_ids;
  for (size_t z = 0; z < zones_.size(); ++z) {
    for (const ProtoClass& cls : zones_[z].classes) {
      ++cls_id;
      for (int p : cls.protos) ix->proto_class[z * 256 + static_cast<size_t>(p)] = cls_id;
      for (const Cell& cell : cls.cells) {
        ix->cell_first.push_back(cell.ports.first);
        ix->cell_last.push_back(cell.ports.last);
        auto [it, fresh] = set_ids.try_emplace(&cell.sources, static_cast<uint32_t>(set_ids.size()));
        ix->cell_src.push_back(it->second);
        if (!fresh) continue;
        for (const Interval& iv : cell.sources.intervals(Family::V4)) {
          ix->s4_first.push_back(static_cast<uint32_t>(iv.first));
          ix->s4_last.push_back(static_cast<uint32_t>(iv.last));
        }
        for (const Interval& iv : cell.sources.intervals(Family::V6)) {
          ix->s6_first.push_back(iv.first);
          ix->s6_last.push_back(iv.last);
        }
        ix->src4_begin.push_back(static_cast<uint32_t>(ix->s4_first.size()));
        ix->src6_begin.push_back(static_cast<uint32_t>(ix->s6_first.size()));
      }
      ix->cell_begin.push_back(static_cast<uint32_t>(ix->cell_first.size()));
    }
  }
  index_ = ix.release();
}

Table::Table(const Table& o)
    : zones_(o.zones_), index_(o.index_ ? new Index(*o.index_) : nullptr) {}

Table& Table::operator=(const Table& o) {
  if (this != &o) {
    Table copy(o);
    *this = std::move(copy);
  }
  return *this;
}

Table::Table(Table&& o) noexcept : zones_(std::move(o.zones_)), index_(o.index_) {
  o.zones_.clear();
  o.index_ = nullptr;  // a moved-from table allows nothing
}

Table& Table::operator=(Table&& o) noexcept {
  if (this != &o) {
    std::swap(zones_, o.zones_);
    std::swap(index_, o.index_);
  }
  return *this;
}

Table::~Table() { delete index_; }

bool Table::allows(const Addr& src, const Addr& dst, uint8_t proto, uint16_t port) const {
  const Index* ix = index_;
  if (!ix || src.family != dst.family || zones_.empty()) return false;
  long zi;
  uint32_t zone;
  if (dst.is_v4()) {
    zi = find_interval(ix->z4_first, ix->z4_last, 0, ix->z4_first.size(), dst.v4());
    if (zi < 0) return false;
    zone = ix->z4_zone[static_cast<size_t>(zi)];
  } else {
    zi = find_interval(ix->z6_first, ix->z6_last, 0, ix->z6_first.size(), dst.value);
    if (zi < 0) return false;
    zone = ix->z6_zone[static_cast<size_t>(zi)];
  }
  uint32_t cls = ix->proto_class[size_t{zone} * 256 + proto];
  if (cls == 0) return false;
  long ci = find_interval(ix->cell_first, ix->cell_last, ix->cell_begin[cls - 1], ix->cell_begin[cls], port);
  if (ci < 0) return false;
  size_t c = ix->cell_src[static_cast<size_t>(ci)];
  if (src.is_v4()) {
    return find_interval(ix->s4_first, ix->s4_last, ix->src4_begin[c], ix->src4_begin[c + 1], src.v4()) >= 0;
  }
  return find_interval(ix->s6_first, ix->s6_last, ix->src6_begin[c], ix->src6_begin[c + 1], src.value) >= 0;
}

size_t Table::source_interval_count() const {
  return index_ ? index_->s4_first.size() + index_->s6_first.size() : 0;
}

size_t Table::index_bytes() const { return index_ ? index_->bytes() : 0; }

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

}  // namespace

std::string to_text(const Table& t) {
  std::ostringstream os;
  for (const Zone& z : t.zones()) {
    std::string zone = join(z.dsts.to_strings());
    for (const ProtoClass& c : z.classes) {
      std::string protos;
      for (int p : c.protos) {
        if (!protos.empty()) protos += ',';
        protos += std::to_string(p);
      }
      for (const Cell& cell : c.cells) {
        os << "zone " << zone << " | proto " << protos << " | ports " << cell.ports.first << "-"
           << cell.ports.last << " | src " << join(cell.sources.to_strings()) << "\n";
      }
    }
  }
  return os.str();
}

}  // namespace aclc::table
