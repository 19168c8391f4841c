// The random 32-bit receiver indices this node hands out in handshake
// messages, and what each names (wireguard-go indextable.go, kernel
// peerlookup.c). Indices are drawn at random, re-drawn on collision, so
// they reveal nothing and cannot be guessed; an incoming message's
// receiver index finds its handshake or session in O(1).
#ifndef ACLC_RUNTIME_WG_INDEX_TABLE_H_
#define ACLC_RUNTIME_WG_INDEX_TABLE_H_

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "runtime/wg/allowedips.h"
#include "runtime/wg/noise.h"

namespace aclc::wg {

struct IndexEntry {
  enum class Kind { kHandshake, kKeypair };
  PeerId peer = 0;
  Kind kind = Kind::kHandshake;
};

class IndexTable {
 public:
  explicit IndexTable(RandomSource rng = system_random) : rng_(std::move(rng)) {}

  // A fresh index bound to entry.
  uint32_t allocate(const IndexEntry& entry);
  // Rebinds a live index (a completed handshake's index names its session
  // from now on). False if index is not allocated.
  bool rebind(uint32_t index, const IndexEntry& entry);
  std::optional<IndexEntry> lookup(uint32_t index) const;
  void release(uint32_t index);
  size_t size() const { return entries_.size(); }

 private:
  RandomSource rng_;
  std::unordered_map<uint32_t, IndexEntry> entries_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_INDEX_TABLE_H_
