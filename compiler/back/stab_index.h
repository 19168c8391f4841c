// Which of many address intervals overlap a query interval.
//
// The table builder asks, for each device, which rules' destinations touch
// the few addresses the device enforces. Testing every rule costs rules x
// devices; this index answers in O(log n + k) for k hits, with a segment
// tree of the largest interval end over the intervals sorted by start.
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/addr.h"

namespace aclc::table {

class StabIndex {
 public:
  // Records that `id` covers [first, last] in family f. Call build() after
  // the last add().
  void add(Family f, u128 first, u128 last, uint32_t id);
  void build();

  // Appends to `out` the id of every interval of family f that overlaps
  // [lo, hi]; an id with several such intervals is appended once per
  // interval, in no particular order.
  void query(Family f, u128 lo, u128 hi, std::vector<uint32_t>& out) const;

 private:
  struct Entry {
    u128 first, last;
    uint32_t id;
  };
  struct Side {
    std::vector<Entry> entries;  // by first
    std::vector<u128> max_last;  // segment tree: node k covers its leaves
    size_t leaves = 0;           // a power of two >= entries.size()
  };
  Side& side(Family f) { return f == Family::V4 ? v4_ : v6_; }
  const Side& side(Family f) const { return f == Family::V4 ? v4_ : v6_; }
  Side v4_, v6_;
};

}  // namespace aclc::table
