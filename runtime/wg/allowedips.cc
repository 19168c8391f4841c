#include "runtime/wg/allowedips.h"

namespace aclc::wg {

// An uncompressed binary trie: depth <= 128, so every operation is bounded.
struct AllowedIps::Node {
  std::unique_ptr<Node> child[2];
  std::optional<PeerId> peer;
  bool empty() const { return !peer && !child[0] && !child[1]; }
};

namespace {

int bit(std::span<const uint8_t> a, unsigned i) { return (a[i / 8] >> (7 - i % 8)) & 1; }

bool valid(std::span<const uint8_t> a, unsigned length) {
  return (a.size() == 4 || a.size() == 16) && length <= a.size() * 8;
}

}  // namespace

AllowedIps::AllowedIps() : root4_(std::make_unique<Node>()), root6_(std::make_unique<Node>()) {}
AllowedIps::~AllowedIps() = default;
AllowedIps::AllowedIps(AllowedIps&&) noexcept = default;
AllowedIps& AllowedIps::operator=(AllowedIps&&) noexcept = default;

bool AllowedIps::insert(std::span<const uint8_t> a, unsigned length, PeerId peer) {
  if (!valid(a, length)) return false;
  Node* n = (a.size() == 4 ? root4_ : root6_).get();
  for (unsigned i = 0; i < length; ++i) {
    auto& c = n->child[bit(a, i)];
    if (!c) c = std::make_unique<Node>();
    n = c.get();
  }
  n->peer = peer;
  return true;
}

bool AllowedIps::remove(std::span<const uint8_t> a, unsigned length) {
  if (!valid(a, length)) return false;
  // Walk down remembering the path, then prune bottom-up.
  std::vector<Node*> path;
  Node* n = (a.size() == 4 ? root4_ : root6_).get();
  path.push_back(n);
  for (unsigned i = 0; i < length; ++i) {
    n = n->child[bit(a, i)].get();
    if (n == nullptr) return false;
    path.push_back(n);
  }
  if (!n->peer) return false;
  n->peer.reset();
  for (unsigned i = length; i > 0; --i) {
    if (!path[i]->empty()) break;
    path[i - 1]->child[bit(a, i - 1)].reset();
  }
  return true;
}

namespace {

// Clears peer below n; returns true if n became empty.
bool remove_peer_below(AllowedIps::Node* n, PeerId peer) {
  if (n->peer == peer) n->peer.reset();
  for (auto& c : n->child)
    if (c && remove_peer_below(c.get(), peer)) c.reset();
  return n->empty();
}

void collect(const AllowedIps::Node* n, PeerId peer, std::vector<uint8_t>& addr, unsigned depth,
             std::vector<AllowedPrefix>& out) {
  if (n->peer == peer) out.push_back({addr, depth});
  for (int b = 0; b < 2; ++b) {
    if (!n->child[b]) continue;
    if (b) addr[depth / 8] |= uint8_t(0x80 >> (depth % 8));
    collect(n->child[b].get(), peer, addr, depth + 1, out);
    if (b) addr[depth / 8] &= uint8_t(~(0x80 >> (depth % 8)));
  }
}

}  // namespace

void AllowedIps::remove_peer(PeerId peer) {
  remove_peer_below(root4_.get(), peer);
  remove_peer_below(root6_.get(), peer);
}

std::optional<PeerId> AllowedIps::lookup(std::span<const uint8_t> a) const {
  if (a.size() != 4 && a.size() != 16) return std::nullopt;
  const Node* n = (a.size() == 4 ? root4_ : root6_).get();
  std::optional<PeerId> best = n->peer;
  for (unsigned i = 0; i < a.size() * 8; ++i) {
    n = n->child[bit(a, i)].get();
    if (n == nullptr) break;
    if (n->peer) best = n->peer;
  }
  return best;
}

std::vector<AllowedPrefix> AllowedIps::prefixes_of(PeerId peer) const {
  std::vector<AllowedPrefix> out;
  std::vector<uint8_t> a4(4, 0), a6(16, 0);
  collect(root4_.get(), peer, a4, 0, out);
  collect(root6_.get(), peer, a6, 0, out);
  return out;
}

void AllowedIps::clear() {
  root4_ = std::make_unique<Node>();
  root6_ = std::make_unique<Node>();
}

}  // namespace aclc::wg
