#include "runtime/wg/index_table.h"

namespace aclc::wg {

uint32_t IndexTable::allocate(const IndexEntry& entry) {
  for (;;) {
    uint8_t b[4];
    rng_(b, sizeof b);
    uint32_t index = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
    if (entries_.emplace(index, entry).second) return index;
  }
}

bool IndexTable::rebind(uint32_t index, const IndexEntry& entry) {
  auto it = entries_.find(index);
  if (it == entries_.end()) return false;
  it->second = entry;
  return true;
}

std::optional<IndexEntry> IndexTable::lookup(uint32_t index) const {
  auto it = entries_.find(index);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void IndexTable::release(uint32_t index) { entries_.erase(index); }

}  // namespace aclc::wg
