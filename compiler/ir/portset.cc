#include "compiler/ir/portset.h"

#include <algorithm>
#include <ostream>

namespace aclc {

namespace {

// b starts inside a or right after it (a.first <= b.first assumed). Widened
// so that 65535 + 1 does not wrap.
bool touches(PortRange a, PortRange b) { return uint32_t{b.first} <= uint32_t{a.last} + 1; }

void append_merged(std::vector<PortRange>& out, PortRange r) {
  if (!out.empty() && touches(out.back(), r)) {
    out.back().last = std::max(out.back().last, r.last);
  } else {
    out.push_back(r);
  }
}

}  // namespace

std::string to_string(const PortRange& r) {
  if (r.is_all()) return "*";
  if (r.first == r.last) return std::to_string(r.first);
  return std::to_string(r.first) + "-" + std::to_string(r.last);
}

PortSet PortSet::all() { return of(PortRange::all()); }

PortSet PortSet::of(PortRange r) {
  PortSet s;
  s.add(r);
  return s;
}

void PortSet::add(PortRange r) {
  if (r.first > r.last) return;
  // [lo, hi) are the ranges that overlap or touch r.
  auto lo = std::partition_point(ranges_.begin(), ranges_.end(), [r](PortRange x) {
    return uint32_t{x.last} + 1 < r.first;
  });
  auto hi = std::partition_point(lo, ranges_.end(), [r](PortRange x) {
    return uint32_t{x.first} <= uint32_t{r.last} + 1;
  });
  if (lo == hi) {
    ranges_.insert(lo, r);
    return;
  }
  lo->first = std::min(lo->first, r.first);
  lo->last = std::max(r.last, (hi - 1)->last);
  ranges_.erase(lo + 1, hi);
}

bool PortSet::is_all() const { return ranges_.size() == 1 && ranges_[0].is_all(); }

bool PortSet::contains(uint16_t port) const { return contains(PortRange{port, port}); }

bool PortSet::contains(PortRange r) const {
  if (r.first > r.last) return false;
  auto it = std::partition_point(ranges_.begin(), ranges_.end(), [r](PortRange x) { return x.last < r.first; });
  return it != ranges_.end() && it->first <= r.first && r.last <= it->last;
}

bool PortSet::contains(const PortSet& o) const {
  return std::all_of(o.ranges_.begin(), o.ranges_.end(), [this](PortRange r) { return contains(r); });
}

bool PortSet::overlaps(const PortSet& o) const {
  size_t i = 0, j = 0;
  while (i < ranges_.size() && j < o.ranges_.size()) {
    if (ranges_[i].last < o.ranges_[j].first) {
      ++i;
    } else if (o.ranges_[j].last < ranges_[i].first) {
      ++j;
    } else {
      return true;
    }
  }
  return false;
}

PortSet operator|(const PortSet& a, const PortSet& b) {
  PortSet out;
  out.ranges_.reserve(a.ranges_.size() + b.ranges_.size());
  size_t i = 0, j = 0;
  while (i < a.ranges_.size() || j < b.ranges_.size()) {
    if (j == b.ranges_.size() || (i < a.ranges_.size() && a.ranges_[i].first <= b.ranges_[j].first)) {
      append_merged(out.ranges_, a.ranges_[i++]);
    } else {
      append_merged(out.ranges_, b.ranges_[j++]);
    }
  }
  return out;
}

PortSet operator&(const PortSet& a, const PortSet& b) {
  PortSet out;
  size_t i = 0, j = 0;
  while (i < a.ranges_.size() && j < b.ranges_.size()) {
    uint16_t lo = std::max(a.ranges_[i].first, b.ranges_[j].first);
    uint16_t hi = std::min(a.ranges_[i].last, b.ranges_[j].last);
    if (lo <= hi) out.ranges_.push_back({lo, hi});
    if (a.ranges_[i].last < b.ranges_[j].last) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

PortSet operator-(const PortSet& a, const PortSet& b) {
  PortSet out;
  size_t j = 0;
  for (PortRange r : a.ranges_) {
    while (j < b.ranges_.size() && b.ranges_[j].last < r.first) ++j;
    uint32_t cur = r.first;
    bool consumed = false;
    // b.ranges_[k] may reach into the next range of a, so j stays put.
    for (size_t k = j; k < b.ranges_.size() && b.ranges_[k].first <= r.last; ++k) {
      const PortRange& cut = b.ranges_[k];
      if (cut.first > cur) out.ranges_.push_back({static_cast<uint16_t>(cur), static_cast<uint16_t>(cut.first - 1)});
      if (cut.last >= r.last) {
        consumed = true;
        break;
      }
      cur = uint32_t{cut.last} + 1;
    }
    if (!consumed) out.ranges_.push_back({static_cast<uint16_t>(cur), r.last});
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const PortSet& s) {
  os << '{';
  const char* sep = "";
  for (PortRange r : s.ranges()) {
    os << sep << to_string(r);
    sep = ", ";
  }
  return os << '}';
}

ProtoSet::ProtoSet(std::initializer_list<uint8_t> protos) {
  for (uint8_t p : protos) bits_.set(p);
}

ProtoSet ProtoSet::default_protos() { return ProtoSet{6, 17, 1, 58}; }

ProtoSet ProtoSet::all() { return ProtoSet(std::bitset<256>().set()); }

std::vector<int> ProtoSet::to_vector() const {
  std::vector<int> out;
  out.reserve(count());
  for (int p : *this) out.push_back(p);
  return out;
}

ProtoSet::iterator& ProtoSet::iterator::operator++() {
  do {
    ++pos_;
  } while (pos_ < 256 && !set_->bits_.test(static_cast<size_t>(pos_)));
  return *this;
}

ProtoSet::iterator ProtoSet::begin() const {
  int pos = 0;
  while (pos < 256 && !bits_.test(static_cast<size_t>(pos))) ++pos;
  return iterator(this, pos);
}

std::ostream& operator<<(std::ostream& os, const ProtoSet& s) {
  os << '{';
  const char* sep = "";
  for (int p : s) {
    os << sep << p;
    sep = ", ";
  }
  return os << '}';
}

}  // namespace aclc
