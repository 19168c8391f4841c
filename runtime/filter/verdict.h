// Why the filter passed or dropped a packet: the reasons the counters and
// the decision log name.
#ifndef ACLC_RUNTIME_FILTER_VERDICT_H_
#define ACLC_RUNTIME_FILTER_VERDICT_H_

#include <cstddef>
#include <cstdint>

namespace aclc::runtime::filter {

enum class Reason : uint8_t {
  // Passed.
  kTracked,    // a packet of a tracked flow (a reply, or a flow admitted before)
  kRelated,    // an ICMP error about a tracked flow
  kRule,       // a new flow a table cell admits
  kEcho,       // ICMP echo request: some rule admits src -> dst (Tailscale's rule)
  kFragment,   // a later fragment to a local address (no ports to judge; the
               // first fragment was judged and the host drops orphans)
  kOutbound,   // sent by this node
  // Dropped.
  kMalformed,       // not a well-formed IP packet (parse() failed)
  kNoPolicy,        // no bundle installed: fail closed
  kNotLocal,        // destination is neither ours nor covered by the table
  kMulticast,       // multicast or broadcast destination
  kNoRule,          // a new flow no table cell admits
  kRevoked,         // a flow the newly installed table no longer admits
  kIcmpUnrelated,   // an ICMP error, or echo reply, about no tracked flow
  kCount
};

inline constexpr size_t kReasonCount = size_t(Reason::kCount);

inline bool passes(Reason r) { return r <= Reason::kOutbound; }

// "tracked", "no-rule", ... (stable: logs and metrics use these names).
const char* reason_name(Reason r);

enum class Direction : uint8_t { kInbound, kOutbound };

struct Verdict {
  bool pass = false;
  Reason reason = Reason::kNoPolicy;
  int cell = -1;  // kRule / kEcho: the counter slot of the admitting cell
};

}  // namespace aclc::runtime::filter

#endif  // ACLC_RUNTIME_FILTER_VERDICT_H_
