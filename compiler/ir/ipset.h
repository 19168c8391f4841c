// Sets of IP addresses as sorted, disjoint, merged inclusive intervals.
//
// IPv4 and IPv6 are kept in separate interval lists; an address of one family
// never matches the other. Set algebra walks both lists once (O(n+m)) and
// never enumerates addresses, so a /8 costs the same as a /32.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/addr.h"

namespace aclc {

// An inclusive range of addresses of one family, first <= last.
struct IPRange {
  Addr first;
  Addr last;
  bool is_single_addr() const { return first == last; }
  friend bool operator==(const IPRange&, const IPRange&) = default;
};

// "a-b" with both ends of the same family and a <= b (strict addresses, as
// parse_addr). This is the form Tailscale uses in SrcIPs and DstPorts.
std::optional<IPRange> parse_range(std::string_view s);

// "a-b" always.
std::string to_string(const IPRange& r);

// The raw form stored by IPSet; the family is implied by the list it is in.
struct Interval {
  u128 first;
  u128 last;
  friend bool operator==(const Interval&, const Interval&) = default;
};

// How IPSet::to_strings spells a range that is exactly one CIDR prefix.
enum class RangeForm {
  // a single address as "a", an exact prefix as "a/n", anything else as
  // "a-b". This is headscale's ipSetToStrings and matches what Tailscale
  // sends for the `*` source: "100.64.0.0-100.115.91.255", ...,
  // "fd7a:115c:a1e0::/48". Use it for SrcIPs.
  Compact,
  // a single address as "a", anything else as "a-b", even an exact prefix.
  // Tailscale prints autogroup:internet this way in DstPorts
  // ("2000::-3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", recorded in
  // conformance routes-b18), so use it for that.
  Ranges,
};

class IPSet {
 public:
  IPSet() = default;

  // Adding keeps the lists merged. Each call is a binary search plus at most
  // one vector splice; appending in ascending order is O(1). To build a big
  // set from unsorted input use IPSetBuilder.
  void add(const Addr& a) { add_range(a, a); }
  void add(const Prefix& p) { add_range(p.first(), p.last()); }  // host bits ignored
  void add(const IPRange& r) { add_range(r.first, r.last); }
  // Precondition: same family and lo <= hi (otherwise nothing is added).
  void add_range(const Addr& lo, const Addr& hi);

  bool empty() const { return v4_.empty() && v6_.empty(); }
  bool contains(const Addr& a) const;
  // The whole prefix is inside the set.
  bool contains(const Prefix& p) const;
  bool contains(const IPRange& r) const;
  // Every address of o is in this set.
  bool contains(const IPSet& o) const;
  bool overlaps(const Prefix& p) const;
  bool overlaps(const IPSet& o) const;

  // The intervals of one family in ascending order, merged (no two touch).
  std::span<const Interval> intervals(Family f) const { return f == Family::V4 ? v4_ : v6_; }
  // Every range, v4 then v6, ascending. A copy; prefer intervals() on hot paths.
  std::vector<IPRange> ranges() const;
  size_t range_count() const { return v4_.size() + v6_.size(); }
  size_t range_count(Family f) const { return intervals(f).size(); }

  // The fewest CIDR prefixes whose union is the set (per range, the largest
  // aligned block at each step), in address order, v4 then v6.
  std::vector<Prefix> to_prefixes() const;
  // One string per range, v4 first, ascending; see RangeForm for which to use.
  std::vector<std::string> to_strings(RangeForm form = RangeForm::Compact) const;

  friend bool operator==(const IPSet&, const IPSet&) = default;
  // A strict weak order by content (v4 ranges, then v6; shorter first), so
  // that maps can store each distinct set once.
  static bool content_less(const IPSet& a, const IPSet& b);
  struct ContentLess {
    bool operator()(const IPSet* a, const IPSet* b) const { return content_less(*a, *b); }
  };

  // Set algebra; each result is a new merged set.
  friend IPSet operator|(const IPSet& a, const IPSet& b);
  friend IPSet operator&(const IPSet& a, const IPSet& b);
  friend IPSet operator-(const IPSet& a, const IPSet& b);
  IPSet& operator|=(const IPSet& o);
  IPSet& operator&=(const IPSet& o);
  IPSet& operator-=(const IPSet& o);

  // 100.64.0.0/10 minus 100.115.92.0/23.
  static IPSet tailnet_v4();
  // tailnet_v4() plus fd7a:115c:a1e0::/48: what Tailscale's `*` source
  // expands to before approved subnet routes are added (those are kept as
  // written by the caller, not merged into this set).
  static IPSet tailnet_all();
  // Tailscale's autogroup:internet: all IPv4 minus 10/8, 100.64/10,
  // 169.254/16, 172.16/12, 192.168/16, plus 2000::/3. Print with
  // RangeForm::Ranges to match the SaaS.
  static IPSet internet();
  // 0.0.0.0/0 and ::/0 (autogroup:danger-all, client-side "*").
  static IPSet all_addresses();

 private:
  friend class IPSetBuilder;
  std::vector<Interval>& list(Family f) { return f == Family::V4 ? v4_ : v6_; }

  std::vector<Interval> v4_;
  std::vector<Interval> v6_;
};

// Collects ranges in any order and merges them once (O(n log n)).
class IPSetBuilder {
 public:
  void add(const Addr& a) { add_range(a, a); }
  void add(const Prefix& p) { add_range(p.first(), p.last()); }
  void add(const IPRange& r) { add_range(r.first, r.last); }
  void add(const IPSet& s);
  // Precondition: same family and lo <= hi (otherwise nothing is added).
  void add_range(const Addr& lo, const Addr& hi);
  void reserve(Family f, size_t n) { (f == Family::V4 ? v4_ : v6_).reserve(n); }
  IPSet build() &&;

 private:
  std::vector<Interval> v4_;
  std::vector<Interval> v6_;
};

std::ostream& operator<<(std::ostream& os, const IPSet& s);

}  // namespace aclc
