#include "compiler/back/peers.h"

#include <algorithm>

namespace aclc::peers {

namespace {

using Bits = std::vector<uint64_t>;

void set(Bits& b, size_t i) { b[i / 64] |= uint64_t{1} << (i % 64); }
bool test(const Bits& b, size_t i) { return (b[i / 64] >> (i % 64)) & 1; }

// What a device stands for as a source: its addresses, and its approved
// subnet routes.
bool is_source(const IPSet& src, const Device& d) {
  for (const Addr& a : d.addresses)
    if (src.contains(a)) return true;
  for (const Prefix& p : d.subnet_routes())
    if (src.overlaps(p)) return true;
  return false;
}


// What a device stands for as a destination: its addresses, approved subnet
// routes, and the internet on an exit node.
bool is_destination(const IPSet& dst, const Device& d, const IPSet& internet) {
  if (is_source(dst, d)) return true;
  return d.is_exit_node() && dst.overlaps(internet);
}

}  // namespace

Visibility::Visibility(const ir::Program& prog, const Inventory& inv)
    : n_(inv.devices.size()), words_((inv.devices.size() + 63) / 64), bits_(n_ * words_, 0) {
  const IPSet internet = IPSet::internet();
  Bits src(words_), dst(words_);
  for (const ir::Rule& r : prog.rules) {
    // Capability grants count: the recordings (grant-a1, grant-b1, ...) show
    // app-only grants making peers visible. Deny rules never do.
    if (r.action == ir::Action::Deny) continue;
    std::fill(src.begin(), src.end(), 0);
    std::fill(dst.begin(), dst.end(), 0);
    IPSetBuilder targets;
    bool any_target = false;
    for (const ir::DstGroup& g : r.dst) {
      for (const ir::Target& t : g.targets) {
        targets.add(t.addrs);
        any_target = true;
      }
    }
    IPSet dsts = std::move(targets).build();
    bool any_src = false;
    for (size_t i = 0; i < n_; ++i) {
      const Device& d = inv.devices[i];
      if (is_source(r.src, d)) {
        set(src, i);
        any_src = true;
      }
      if (!any_target) continue;
      if (!r.via.empty()) {
        bool tagged = false;
        for (const std::string& t : r.via) tagged = tagged || d.has_tag(t);
        if (!tagged) continue;
      }
      if (is_destination(dsts, d, internet)) set(dst, i);
    }
    if (any_src && any_target) {
      for (size_t i = 0; i < n_; ++i) {
        if (!test(src, i)) continue;
        uint64_t* row = &bits_[i * words_];
        for (size_t w = 0; w < words_; ++w) row[w] |= dst[w];
      }
      for (size_t i = 0; i < n_; ++i) {
        if (!test(dst, i)) continue;
        uint64_t* row = &bits_[i * words_];
        for (size_t w = 0; w < words_; ++w) row[w] |= src[w];
      }
    }
    // autogroup:self: each untagged device and the same user's devices the
    // rule admits.
    if (r.has_self()) {
      for (size_t b = 0; b < n_; ++b) {
        if (inv.devices[b].tagged()) continue;
        IPSet s = ir::self_sources(r, inv, b);
        if (s.empty()) continue;
        for (size_t a : inv.devices_of(inv.devices[b].user)) {
          if (inv.devices[a].address_set().overlaps(s)) link(a, b);
        }
      }
    }
  }
  // A device is never its own peer.
  for (size_t i = 0; i < n_; ++i) bits_[i * words_ + i / 64] &= ~(uint64_t{1} << (i % 64));
}

void Visibility::link(size_t a, size_t b) {
  bits_[a * words_ + b / 64] |= uint64_t{1} << (b % 64);
  bits_[b * words_ + a / 64] |= uint64_t{1} << (a % 64);
}

bool Visibility::visible(size_t a, size_t b) const {
  if (a >= n_ || b >= n_) return false;
  return (bits_[a * words_ + b / 64] >> (b % 64)) & 1;
}

std::vector<size_t> Visibility::peers_of(size_t device) const {
  std::vector<size_t> out;
  if (device >= n_) return out;
  const uint64_t* row = &bits_[device * words_];
  for (size_t w = 0; w < words_; ++w) {
    for (uint64_t bits = row[w]; bits; bits &= bits - 1) {
      out.push_back(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
    }
  }
  return out;
}

}  // namespace aclc::peers
