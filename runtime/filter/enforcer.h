// The node's packet filter: the PacketPolicy the device consults for every
// plaintext packet, enforcing the installed bundle's table with connection
// tracking.
//
// Inbound (decrypted, already past the cryptokey check), in order:
//   1. malformed                                  -> drop  malformed
//   2. no bundle installed                        -> drop  no-policy (fail closed)
//   3. multicast / broadcast destination          -> drop  multicast
//   4. destination neither one of the bundle's
//      addresses nor in a zone of its table       -> drop  not-local
//   5. later fragment (no ports to judge)         -> pass  fragment
//   6. ICMP error: the quoted packet is a tracked
//      flow sent from the error's destination     -> pass  related, else drop icmp-unrelated
//   7. tracked flow                               -> pass  tracked (drop revoked, see below)
//   8. ICMP echo reply to nothing tracked         -> drop  icmp-unrelated
//   9. new flow: the table (Bundle::allows on src, dst, proto, dst port;
//      ports are 0 for protocols without them) -> pass rule, and tracked.
//      ICMP echo request: as Tailscale, if any cell of the destination's
//      zone admits src, whatever its protocol or port -> pass icmp-echo.
//      Otherwise                                  -> drop  no-rule
// TCP is tracked, not stateless as in Tailscale: an unsolicited non-SYN
// segment must itself be admitted by the table. A SYN (without ACK) from the
// remote side on a tuple this node opened and that is past its opening is a
// new connection and is judged by the table.
//
// Outbound (from the host) always passes and opens or refreshes the flow's
// entry, except that echo replies, ICMP errors, other ICMP messages, later
// fragments and TCP resets never open one (they answer something; they must
// not let new inbound traffic in). Malformed outbound packets are dropped.
//
// Policy swap: install() replaces the table atomically and starts a new
// generation. Flows this node opened keep passing (the table governs what
// may reach this node, not the replies to what it asked for). Flows the
// remote side opened are re-checked against the new table on their next
// packet (lazily, as Nebula does): still admitted, they continue; no longer
// admitted, they are marked revoked and their packets dropped (revoked) as
// long as they keep arriving, so that the host's own replies cannot revive
// them. Per-cell counters restart with each table.
//
// Counters: packets by direction and reason, and hits per table cell
// (zone, class, cell): the bundle carries no rule ids, so the cell is the
// finest thing a count can name; echo admitted by the any-rule check counts
// in a slot of its own.
//
// Thread safety: none, like the Device it serves: one thread (meshd's event
// loop) filters packets, installs tables and reads stats. No lock on the
// per-packet path, which allocates nothing.
#ifndef ACLC_RUNTIME_FILTER_ENFORCER_H_
#define ACLC_RUNTIME_FILTER_ENFORCER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "runtime/device/packet_policy.h"
#include "runtime/filter/conntrack.h"
#include "runtime/filter/decision_log.h"
#include "runtime/filter/packet.h"
#include "runtime/filter/table_view.h"
#include "runtime/filter/verdict.h"

namespace aclc::runtime::filter {

struct EnforcerConfig {
  ConntrackConfig conntrack;
  DecisionLog* log = nullptr;  // not owned; must outlive the enforcer
};

struct CellHits {
  uint16_t zone = 0, klass = 0;
  uint32_t cell = 0;
  std::vector<uint8_t> protos;  // empty for the ICMP echo slot
  uint16_t port_first = 0, port_last = 0;
  bool echo = false;            // the "any rule admits src -> dst" echo slot
  uint64_t hits = 0;
};

struct FilterStats {
  std::array<uint64_t, kReasonCount> inbound{};   // by Reason
  std::array<uint64_t, kReasonCount> outbound{};
  std::vector<CellHits> cells;  // the installed table's cells, then the echo slot
  size_t tracked = 0;           // entries in the connection table
  size_t capacity = 0;
  uint64_t evictions = 0;       // live entries evicted because the table was full
  uint64_t generation = 0;      // install() calls so far
};

class Enforcer final : public PacketPolicy {
 public:
  explicit Enforcer(const EnforcerConfig& config = {});

  // Replaces the policy; nullptr removes it (nothing passes inbound).
  void install(std::shared_ptr<const bundle::Bundle> bundle);
  std::shared_ptr<const bundle::Bundle> installed() const;

  bool admit_inbound(std::span<const uint8_t> ip_packet, wg::Instant now) override {
    return inbound(ip_packet, now).pass;
  }
  bool admit_outbound(std::span<const uint8_t> ip_packet, wg::Instant now) override {
    return outbound(ip_packet, now).pass;
  }

  // The same decisions with their reasons.
  Verdict inbound(std::span<const uint8_t> ip_packet, wg::Instant now);
  Verdict outbound(std::span<const uint8_t> ip_packet, wg::Instant now);

  FilterStats stats() const;

 private:
  struct Installed {
    std::shared_ptr<const TableView> view;
    std::vector<uint64_t> cell_hits;  // cell_count() + 1 (echo slot)
  };

  Verdict decide_inbound(const Packet& p, wg::Instant now);
  Verdict decide_outbound(const Packet& p, wg::Instant now);
  bool still_admitted(Conn& c);
  bool admits_remote_opened(const ConnKey& k) const;
  void log(Direction dir, const Packet& p, const Verdict& v, wg::Instant now);

  DecisionLog* log_;
  Conntrack conntrack_;
  std::unique_ptr<Installed> installed_;
  uint64_t generation_ = 0;
  std::array<uint64_t, kReasonCount> inbound_counts_{};
  std::array<uint64_t, kReasonCount> outbound_counts_{};
};

}  // namespace aclc::runtime::filter

#endif  // ACLC_RUNTIME_FILTER_ENFORCER_H_
