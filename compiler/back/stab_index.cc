#include "compiler/back/stab_index.h"

#include <algorithm>

namespace aclc::table {

void StabIndex::add(Family f, u128 first, u128 last, uint32_t id) {
  side(f).entries.push_back(Entry{first, last, id});
}

void StabIndex::build() {
  for (Side* s : {&v4_, &v6_}) {
    std::sort(s->entries.begin(), s->entries.end(),
              [](const Entry& a, const Entry& b) { return a.first < b.first; });
    s->leaves = 1;
    while (s->leaves < s->entries.size()) s->leaves *= 2;
    // Node k has children 2k and 2k+1; leaf i is node leaves + i. Empty
    // leaves hold 0, which only ever admits a query at address 0, and
    // query() never reaches a leaf past the entries.
    s->max_last.assign(2 * s->leaves, 0);
    for (size_t i = 0; i < s->entries.size(); ++i) s->max_last[s->leaves + i] = s->entries[i].last;
    for (size_t k = s->leaves - 1; k >= 1; --k)
      s->max_last[k] = std::max(s->max_last[2 * k], s->max_last[2 * k + 1]);
  }
}

void StabIndex::query(Family f, u128 lo, u128 hi, std::vector<uint32_t>& out) const {
  const Side& s = side(f);
  // Candidates start at or before hi: entries [0, end).
  size_t end = static_cast<size_t>(
      std::upper_bound(s.entries.begin(), s.entries.end(), hi,
                       [](u128 x, const Entry& e) { return x < e.first; }) -
      s.entries.begin());
  if (end == 0) return;
  // Walk the subtrees that hold a candidate ending at or after lo.
  struct Node {
    size_t k, from, to;  // node k covers leaves [from, to)
  };
  std::vector<Node> stack = {{1, 0, s.leaves}};
  while (!stack.empty()) {
    Node n = stack.back();
    stack.pop_back();
    if (n.from >= end || s.max_last[n.k] < lo) continue;
    if (n.to - n.from == 1) {
      out.push_back(s.entries[n.from].id);
      continue;
    }
    size_t mid = (n.from + n.to) / 2;
    stack.push_back({2 * n.k + 1, mid, n.to});
    stack.push_back({2 * n.k, n.from, mid});
  }
}

}  // namespace aclc::table
