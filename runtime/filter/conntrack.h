// The connection table: the flows this node takes part in, so that replies
// to them pass inbound without a rule, and ICMP errors about them too.
//
// Bounded: a fixed number of entries allocated up front. When it is full,
// inserting evicts the least recently used entry, so a flood of new flows
// costs old idle flows their state (they fall back to the table's verdict)
// and never memory. Nothing here allocates after construction; the hash is
// keyed with a random seed so that remote peers cannot aim collisions.
//
// Keys are in the node's orientation (local address and port, remote
// address and port), so both directions of a flow find one entry. Each entry
// remembers who opened the flow and the policy generation it was last
// checked against; the enforcer re-validates flows opened by the remote side
// against a newly installed table (see enforcer.h).
//
// Not thread-safe: the enforcer serialises access.
#ifndef ACLC_RUNTIME_FILTER_CONNTRACK_H_
#define ACLC_RUNTIME_FILTER_CONNTRACK_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/filter/packet.h"
#include "runtime/wg/limits.h"

namespace aclc::runtime::filter {

struct ConntrackConfig {
  size_t capacity = 65536;  // entries; at least 1
  // Idle time after which an entry expires, by state. TCP follows Nebula
  // and Linux (established 12 min; half-open and closing short so that
  // scans and teardown leave little behind).
  wg::Duration tcp_opening = std::chrono::seconds(60);       // SYN seen, no answer yet
  wg::Duration tcp_established = std::chrono::minutes(12);
  wg::Duration tcp_closing = std::chrono::seconds(30);       // FIN or RST seen
  wg::Duration udp = std::chrono::minutes(3);                // also SCTP
  wg::Duration icmp_echo = std::chrono::seconds(30);
  wg::Duration other = std::chrono::minutes(3);              // GRE, ESP, ...
  uint64_t hash_seed = 0;                                    // 0: random
};

struct ConnKey {
  u128 local = 0;
  u128 remote = 0;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;
  uint8_t proto = 0;
  uint8_t family = 0;
  friend bool operator==(const ConnKey&, const ConnKey&) = default;
};

// The key of a packet the node sends (src local) or receives (dst local).
inline ConnKey outbound_key(const FlowKey& f) {
  return ConnKey{f.src, f.dst, f.src_port, f.dst_port, f.proto, f.family};
}
inline ConnKey inbound_key(const FlowKey& f) {
  return ConnKey{f.dst, f.src, f.dst_port, f.src_port, f.proto, f.family};
}

enum class Opener : uint8_t { kLocal, kRemote };
enum class TcpState : uint8_t { kNone, kOpening, kEstablished, kClosing };

struct Conn {
  ConnKey key;
  wg::Instant expires{};
  uint64_t generation = 0;  // policy generation last checked against
  Opener opener = Opener::kLocal;
  TcpState tcp = TcpState::kNone;
  bool revoked = false;     // the policy withdrew this remote-opened flow
};

class Conntrack {
 public:
  explicit Conntrack(const ConntrackConfig& config = {});
  Conntrack(const Conntrack&) = delete;
  Conntrack& operator=(const Conntrack&) = delete;

  // The live entry for `key`, or nullptr. An expired entry is removed.
  // The entry found last is checked first, without hashing: consecutive
  // packets are mostly of one flow (a TSO or GRO run, both directions of a
  // bulk transfer share the entry).
  Conn* find(const ConnKey& key, wg::Instant now);

  // A new entry for `key`, which must not be present. Evicts the least
  // recently used entry if the table is full. The entry expires unless
  // observe() refreshes it.
  Conn* insert(const ConnKey& key, Opener opener, uint64_t generation, wg::Instant now);

  // A packet of the entry's flow, sent by this node (from_local) or
  // received: advances the TCP state, refreshes the expiry and marks the
  // entry most recently used.
  void observe(Conn* conn, bool from_local, uint8_t tcp_flags, wg::Instant now);

  void erase(Conn* conn);

  size_t size() const { return size_; }
  size_t capacity() const { return nodes_.size(); }
  // Live entries evicted to make room (a measure of table pressure).
  uint64_t evictions() const { return evictions_; }

  // Calls fn(Conn&) for every entry, live or not yet reaped (for tests and
  // diagnostics).
  template <typename Fn>
  void for_each(Fn&& fn) {
    for (uint32_t i = head_; i != kNil; i = nodes_[i].next) fn(nodes_[i].conn);
  }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Node {
    Conn conn;
    uint64_t hash = 0;
    uint32_t prev = kNil, next = kNil;  // LRU list (head: most recent); free list via next
  };

  uint64_t hash(const ConnKey& key) const;
  wg::Duration timeout(const Conn& c) const;
  uint32_t slot_of(uint32_t node) const;
  void unlink(uint32_t node);
  void push_front(uint32_t node);
  void remove(uint32_t node);

  ConntrackConfig config_;
  uint64_t seed_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> slots_;  // open addressing, linear probing; node index or kNil
  size_t mask_;
  uint32_t head_ = kNil, tail_ = kNil, free_ = kNil;
  uint32_t last_found_ = kNil;  // an entry in use, or kNil (remove() clears it)
  size_t size_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace aclc::runtime::filter

#endif  // ACLC_RUNTIME_FILTER_CONNTRACK_H_
