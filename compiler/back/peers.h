// Peer visibility: which devices appear in a device's netmap.
//
// Tailscale shows B to A (and A to B: visibility is symmetric) when some
// packet rule lets one of them reach the other, judged on the rules before
// the per-node reduction:
//   * a device is a rule's source when the rule's sources contain one of its
//     addresses or overlap one of its approved subnet routes (a router speaks
//     for its subnets);
//   * a device is a rule's destination when a target contains one of its
//     addresses, overlaps one of its approved subnet routes, or, for an exit
//     node, overlaps the internet;
//   * autogroup:self links the same user's untagged devices that the rule
//     admits;
//   * a `via` rule reaches only the routers carrying one of its via tags.
// Deny rules never add visibility; capability grants do (the app needs the
// peer; recorded in the grant conformance cases).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "compiler/ir/device.h"
#include "compiler/ir/ir.h"

namespace aclc::peers {

// The visibility relation of a whole inventory, computed once: a bit matrix
// (n^2 / 8 bytes; 12.5 MB for 10k devices).
class Visibility {
 public:
  Visibility(const ir::Program& prog, const Inventory& inv);

  // Whether a and b see each other (never a device itself).
  bool visible(size_t a, size_t b) const;
  // The peers of a device, ascending device indexes.
  std::vector<size_t> peers_of(size_t device) const;

 private:
  void link(size_t a, size_t b);
  size_t n_ = 0, words_ = 0;
  std::vector<uint64_t> bits_;  // row-major n_ x words_
};

}  // namespace aclc::peers
