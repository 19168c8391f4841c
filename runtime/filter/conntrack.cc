#include "runtime/filter/conntrack.h"

#include <algorithm>
#include <bit>
#include <random>

namespace aclc::runtime::filter {
namespace {

// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
uint64_t fmix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

uint64_t random_seed() {
  std::random_device rd;
  return (uint64_t(rd()) << 32 | rd()) | 1;
}

}  // namespace

Conntrack::Conntrack(const ConntrackConfig& config)
    : config_(config),
      seed_(config.hash_seed != 0 ? config.hash_seed : random_seed()),
      nodes_(std::max<size_t>(config.capacity, 1)) {
  // At most half the slots in use keeps linear probes short.
  size_t slots = std::bit_ceil(nodes_.size() * 2);
  slots_.assign(slots, kNil);
  mask_ = slots - 1;
  for (size_t i = nodes_.size(); i-- > 0;) {
    nodes_[i].next = free_;
    free_ = uint32_t(i);
  }
}

uint64_t Conntrack::hash(const ConnKey& k) const {
  uint64_t h = seed_;
  h = fmix(h ^ uint64_t(k.local));
  h = fmix(h ^ uint64_t(k.local >> 64));
  h = fmix(h ^ uint64_t(k.remote));
  h = fmix(h ^ uint64_t(k.remote >> 64));
  h = fmix(h ^ (uint64_t(k.local_port) | uint64_t(k.remote_port) << 16 |
                uint64_t(k.proto) << 32 | uint64_t(k.family) << 40));
  return h;
}

wg::Duration Conntrack::timeout(const Conn& c) const {
  switch (c.key.proto) {
    case kProtoTcp:
      switch (c.tcp) {
        case TcpState::kEstablished: return config_.tcp_established;
        case TcpState::kClosing: return config_.tcp_closing;
        default: return config_.tcp_opening;
      }
    case kProtoUdp:
    case kProtoSctp: return config_.udp;
    case kProtoIcmp:
    case kProtoIcmpV6: return config_.icmp_echo;  // only echo flows are tracked
    default: return config_.other;
  }
}

Conn* Conntrack::find(const ConnKey& key, wg::Instant now) {
  uint32_t n = kNil;
  if (last_found_ != kNil && nodes_[last_found_].conn.key == key) {
    n = last_found_;
  } else {
    uint64_t h = hash(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      uint32_t candidate = slots_[i];
      if (candidate == kNil) return nullptr;
      if (nodes_[candidate].hash == h && nodes_[candidate].conn.key == key) {
        n = candidate;
        break;
      }
    }
  }
  if (now >= nodes_[n].conn.expires) {
    remove(n);
    return nullptr;
  }
  last_found_ = n;
  return &nodes_[n].conn;
}

Conn* Conntrack::insert(const ConnKey& key, Opener opener, uint64_t generation,
                        wg::Instant now) {
  // Reap a few expired entries from the cold end, so that the table's size
  // tracks live flows without a timer.
  for (int i = 0; i < 2 && tail_ != kNil && now >= nodes_[tail_].conn.expires; ++i) remove(tail_);
  if (free_ == kNil) {
    if (now < nodes_[tail_].conn.expires) ++evictions_;
    remove(tail_);
  }
  uint32_t n = free_;
  free_ = nodes_[n].next;
  Node& node = nodes_[n];
  node.conn = Conn{};
  node.conn.key = key;
  node.conn.opener = opener;
  node.conn.generation = generation;
  node.conn.expires = now + timeout(node.conn);
  node.hash = hash(key);
  size_t i = node.hash & mask_;
  while (slots_[i] != kNil) i = (i + 1) & mask_;
  slots_[i] = n;
  push_front(n);
  ++size_;
  return &node.conn;
}

void Conntrack::observe(Conn* conn, bool from_local, uint8_t tcp_flags, wg::Instant now) {
  Conn& c = *conn;
  if (c.key.proto == kProtoTcp) {
    bool from_opener = from_local == (c.opener == Opener::kLocal);
    if (tcp_flags & (kTcpFin | kTcpRst)) {
      c.tcp = TcpState::kClosing;
    } else if (c.tcp == TcpState::kNone) {
      bool syn_only = (tcp_flags & (kTcpSyn | kTcpAck)) == kTcpSyn;
      c.tcp = syn_only ? TcpState::kOpening : TcpState::kEstablished;
    } else if (c.tcp == TcpState::kOpening && !from_opener) {
      c.tcp = TcpState::kEstablished;
    }
  }
  c.expires = now + timeout(c);
  uint32_t n = uint32_t(reinterpret_cast<Node*>(conn) - nodes_.data());
  if (head_ != n) {
    unlink(n);
    push_front(n);
  }
}

void Conntrack::erase(Conn* conn) {
  remove(uint32_t(reinterpret_cast<Node*>(conn) - nodes_.data()));
}

uint32_t Conntrack::slot_of(uint32_t n) const {
  size_t i = nodes_[n].hash & mask_;
  while (slots_[i] != n) i = (i + 1) & mask_;
  return uint32_t(i);
}

void Conntrack::unlink(uint32_t n) {
  Node& node = nodes_[n];
  if (node.prev != kNil) nodes_[node.prev].next = node.next; else head_ = node.next;
  if (node.next != kNil) nodes_[node.next].prev = node.prev; else tail_ = node.prev;
  node.prev = node.next = kNil;
}

void Conntrack::push_front(uint32_t n) {
  Node& node = nodes_[n];
  node.prev = kNil;
  node.next = head_;
  if (head_ != kNil) nodes_[head_].prev = n; else tail_ = n;
  head_ = n;
}

void Conntrack::remove(uint32_t n) {
  // Backward-shift deletion keeps every probe chain unbroken without
  // tombstones: later entries whose home slot is not between the hole and
  // themselves move up into the hole.
  size_t hole = slot_of(n);
  for (size_t j = (hole + 1) & mask_; slots_[j] != kNil; j = (j + 1) & mask_) {
    size_t home = nodes_[slots_[j]].hash & mask_;
    bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = kNil;
  if (last_found_ == n) last_found_ = kNil;
  unlink(n);
  nodes_[n].next = free_;
  free_ = n;
  --size_;
}

}  // namespace aclc::runtime::filter
