#include "compiler/ir/ipset.h"

#include <algorithm>
#include <ostream>

namespace aclc {

namespace {

using List = std::vector<Interval>;
using View = std::span<const Interval>;

constexpr Family kFamilies[] = {Family::V4, Family::V6};

// b starts inside a or right after it (a.first <= b.first assumed).
bool touches(const Interval& a, const Interval& b) {
  // When a.last is the maximum the first test holds, so +1 cannot wrap.
  return b.first <= a.last || b.first == a.last + 1;
}

// Appends keeping out merged; iv.first must be >= out.back().first.
void append_merged(List& out, const Interval& iv) {
  if (!out.empty() && touches(out.back(), iv)) {
    out.back().last = std::max(out.back().last, iv.last);
  } else {
    out.push_back(iv);
  }
}

void normalize(List& l) {
  if (l.size() < 2) return;
  std::sort(l.begin(), l.end(), [](const Interval& a, const Interval& b) { return a.first < b.first; });
  size_t w = 0;
  for (size_t r = 1; r < l.size(); ++r) {
    if (touches(l[w], l[r])) {
      l[w].last = std::max(l[w].last, l[r].last);
    } else {
      l[++w] = l[r];
    }
  }
  l.resize(w + 1);
}

List unite(View a, View b) {
  List out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first <= b[j].first)) {
      append_merged(out, a[i++]);
    } else {
      append_merged(out, b[j++]);
    }
  }
  return out;
}

List intersect(View a, View b) {
  List out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    u128 lo = std::max(a[i].first, b[j].first);
    u128 hi = std::min(a[i].last, b[j].last);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].last < b[j].last) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

List subtract(View a, View b) {
  List out;
  out.reserve(a.size());
  size_t j = 0;
  for (const Interval& iv : a) {
    while (j < b.size() && b[j].last < iv.first) ++j;
    u128 cur = iv.first;
    bool consumed = false;
    // b[k] may reach into the next interval of a, so j stays at the first cut.
    for (size_t k = j; k < b.size() && b[k].first <= iv.last; ++k) {
      if (b[k].first > cur) out.push_back({cur, b[k].first - 1});
      if (b[k].last >= iv.last) {
        consumed = true;
        break;
      }
      cur = b[k].last + 1;  // b[k].last < iv.last, so no wrap
    }
    if (!consumed) out.push_back({cur, iv.last});
  }
  return out;
}

bool lists_overlap(View a, View b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].last < b[j].first) {
      ++i;
    } else if (b[j].last < a[i].first) {
      ++j;
    } else {
      return true;
    }
  }
  return false;
}

bool list_contains(View outer, View inner) {
  size_t j = 0;
  for (const Interval& iv : inner) {
    while (j < outer.size() && outer[j].last < iv.first) ++j;
    if (j == outer.size() || outer[j].first > iv.first || outer[j].last < iv.last) return false;
  }
  return true;
}

// The interval holding v, or nullptr.
const Interval* find(View l, u128 v) {
  auto it = std::partition_point(l.begin(), l.end(), [v](const Interval& iv) { return iv.first <= v; });
  if (it == l.begin()) return nullptr;
  --it;
  return it->last >= v ? &*it : nullptr;
}

int count_trailing_zeros(u128 v) {  // v != 0
  uint64_t lo = static_cast<uint64_t>(v);
  return lo ? __builtin_ctzll(lo) : 64 + __builtin_ctzll(static_cast<uint64_t>(v >> 64));
}

int floor_log2(u128 v) {  // v != 0
  uint64_t hi = static_cast<uint64_t>(v >> 64);
  return hi ? 127 - __builtin_clzll(hi) : 63 - __builtin_clzll(static_cast<uint64_t>(v));
}

int popcount(u128 v) {
  return __builtin_popcountll(static_cast<uint64_t>(v)) + __builtin_popcountll(static_cast<uint64_t>(v >> 64));
}

// The prefix length when [first, last] is exactly one aligned block, else -1.
int exact_prefix_bits(Family f, const Interval& iv) {
  u128 span = iv.last - iv.first;  // block size - 1
  if ((span & (span + 1)) != 0 || (iv.first & span) != 0) return -1;
  return family_bits(f) - popcount(span);
}

std::string range_string(Family f, const Interval& iv) {
  return to_string(Addr(f, iv.first)) + "-" + to_string(Addr(f, iv.last));
}

}  // namespace

std::optional<IPRange> parse_range(std::string_view s) {
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto lo = parse_addr(s.substr(0, dash));
  auto hi = parse_addr(s.substr(dash + 1));  // a second '-' fails here
  if (!lo || !hi || lo->family != hi->family || hi->value < lo->value) return std::nullopt;
  return IPRange{*lo, *hi};
}

std::string to_string(const IPRange& r) { return to_string(r.first) + "-" + to_string(r.last); }

void IPSet::add_range(const Addr& lo, const Addr& hi) {
  if (lo.family != hi.family || hi.value < lo.value) return;
  List& l = list(lo.family);
  const u128 a = lo.value, b = hi.value;
  // [i, j) are the intervals that overlap or touch [a, b].
  auto first_touching = std::partition_point(l.begin(), l.end(), [a](const Interval& iv) {
    return iv.last < a && iv.last + 1 < a;
  });
  auto past_touching = std::partition_point(first_touching, l.end(), [b](const Interval& iv) {
    return iv.first <= b || iv.first - 1 == b;
  });
  if (first_touching == past_touching) {
    l.insert(first_touching, Interval{a, b});
    return;
  }
  first_touching->first = std::min(a, first_touching->first);
  first_touching->last = std::max(b, (past_touching - 1)->last);
  l.erase(first_touching + 1, past_touching);
}

bool IPSet::contains(const Addr& a) const { return find(intervals(a.family), a.value) != nullptr; }

bool IPSet::contains(const IPRange& r) const {
  if (r.first.family != r.last.family || r.last.value < r.first.value) return false;
  const Interval* iv = find(intervals(r.first.family), r.first.value);
  return iv && iv->last >= r.last.value;
}

bool IPSet::contains(const Prefix& p) const { return contains(IPRange{p.first(), p.last()}); }

bool IPSet::contains(const IPSet& o) const {
  return list_contains(v4_, o.v4_) && list_contains(v6_, o.v6_);
}

bool IPSet::overlaps(const Prefix& p) const {
  View l = intervals(p.family());
  const u128 lo = p.first().value, hi = p.last().value;
  auto it = std::partition_point(l.begin(), l.end(), [lo](const Interval& iv) { return iv.last < lo; });
  return it != l.end() && it->first <= hi;
}

bool IPSet::overlaps(const IPSet& o) const {
  return lists_overlap(v4_, o.v4_) || lists_overlap(v6_, o.v6_);
}

std::vector<IPRange> IPSet::ranges() const {
  std::vector<IPRange> out;
  out.reserve(range_count());
  for (Family f : kFamilies) {
    for (const Interval& iv : intervals(f)) out.push_back({Addr(f, iv.first), Addr(f, iv.last)});
  }
  return out;
}

std::vector<Prefix> IPSet::to_prefixes() const {
  std::vector<Prefix> out;
  out.reserve(range_count());
  for (Family f : kFamilies) {
    const int width = family_bits(f);
    for (const Interval& iv : intervals(f)) {
      u128 lo = iv.first;
      while (true) {
        // The largest block that starts at lo (alignment) and ends by last.
        int k = lo == 0 ? width : std::min(width, count_trailing_zeros(lo));
        u128 span = iv.last - lo;
        int fit = span == ~u128{0} ? 128 : floor_log2(span + 1);
        k = std::min(k, fit);
        out.push_back(Prefix{Addr(f, lo), width - k});
        u128 block_last = lo + (k == 128 ? ~u128{0} : (u128{1} << k) - 1);
        if (block_last >= iv.last) break;
        lo = block_last + 1;
      }
    }
  }
  return out;
}

std::vector<std::string> IPSet::to_strings(RangeForm form) const {
  std::vector<std::string> out;
  out.reserve(range_count());
  for (Family f : kFamilies) {
    for (const Interval& iv : intervals(f)) {
      if (iv.first == iv.last) {
        out.push_back(to_string(Addr(f, iv.first)));
        continue;
      }
      int bits = form == RangeForm::Compact ? exact_prefix_bits(f, iv) : -1;
      out.push_back(bits >= 0 ? to_string(Prefix{Addr(f, iv.first), bits}) : range_string(f, iv));
    }
  }
  return out;
}

IPSet operator|(const IPSet& a, const IPSet& b) {
  IPSet out;
  out.v4_ = unite(a.v4_, b.v4_);
  out.v6_ = unite(a.v6_, b.v6_);
  return out;
}

IPSet operator&(const IPSet& a, const IPSet& b) {
  IPSet out;
  out.v4_ = intersect(a.v4_, b.v4_);
  out.v6_ = intersect(a.v6_, b.v6_);
  return out;
}

IPSet operator-(const IPSet& a, const IPSet& b) {
  IPSet out;
  out.v4_ = subtract(a.v4_, b.v4_);
  out.v6_ = subtract(a.v6_, b.v6_);
  return out;
}

IPSet& IPSet::operator|=(const IPSet& o) { return *this = *this | o; }
IPSet& IPSet::operator&=(const IPSet& o) { return *this = *this & o; }
IPSet& IPSet::operator-=(const IPSet& o) { return *this = *this - o; }

IPSet IPSet::tailnet_v4() {
  static const IPSet kSet = [] {
    IPSet cgnat, chromeos;
    cgnat.add(cgnat_prefix());
    chromeos.add(chromeos_vm_prefix());
    return cgnat - chromeos;
  }();
  return kSet;
}

IPSet IPSet::tailnet_all() {
  static const IPSet kSet = [] {
    IPSet s = tailnet_v4();
    s.add(tailscale_ula_prefix());
    return s;
  }();
  return kSet;
}

IPSet IPSet::internet() {
  static const IPSet kSet = [] {
    IPSet excluded;
    for (const char* p : {"10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"}) {
      excluded.add(*parse_prefix(p));
    }
    IPSet s;
    s.add_range(Addr(0u), max_value(Family::V4));
    s -= excluded;
    s.add(*parse_prefix("2000::/3"));
    return s;
  }();
  return kSet;
}

IPSet IPSet::all_addresses() {
  IPSet s;
  s.add_range(Addr(0u), max_value(Family::V4));
  s.add_range(Addr(Family::V6, 0), max_value(Family::V6));
  return s;
}

void IPSetBuilder::add_range(const Addr& lo, const Addr& hi) {
  if (lo.family != hi.family || hi.value < lo.value) return;
  (lo.family == Family::V4 ? v4_ : v6_).push_back({lo.value, hi.value});
}

void IPSetBuilder::add(const IPSet& s) {
  View v4 = s.intervals(Family::V4), v6 = s.intervals(Family::V6);
  v4_.insert(v4_.end(), v4.begin(), v4.end());
  v6_.insert(v6_.end(), v6.begin(), v6.end());
}

IPSet IPSetBuilder::build() && {
  normalize(v4_);
  normalize(v6_);
  IPSet out;
  out.v4_ = std::move(v4_);
  out.v6_ = std::move(v6_);
  v4_.clear();
  v6_.clear();
  return out;
}

std::ostream& operator<<(std::ostream& os, const IPSet& s) {
  os << '{';
  const char* sep = "";
  for (const std::string& str : s.to_strings()) {
    os << sep << str;
    sep = ", ";
  }
  return os << '}';
}

bool IPSet::content_less(const IPSet& a, const IPSet& b) {
  for (Family f : {Family::V4, Family::V6}) {
    auto x = a.intervals(f), y = b.intervals(f);
    if (x.size() != y.size()) return x.size() < y.size();
    for (size_t i = 0; i < x.size(); ++i) {
      if (x[i].first != y[i].first) return x[i].first < y[i].first;
      if (x[i].last != y[i].last) return x[i].last < y[i].last;
    }
  }
  return false;
}

}  // namespace aclc
