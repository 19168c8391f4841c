#include "runtime/filter/verdict.h"

namespace aclc::runtime::filter {

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kTracked: return "tracked";
    case Reason::kRelated: return "related";
    case Reason::kRule: return "rule";
    case Reason::kEcho: return "icmp-echo";
    case Reason::kFragment: return "fragment";
    case Reason::kOutbound: return "outbound";
    case Reason::kMalformed: return "malformed";
    case Reason::kNoPolicy: return "no-policy";
    case Reason::kNotLocal: return "not-local";
    case Reason::kMulticast: return "multicast";
    case Reason::kNoRule: return "no-rule";
    case Reason::kRevoked: return "revoked";
    case Reason::kIcmpUnrelated: return "icmp-unrelated";
    case Reason::kCount: break;
  }
  return "unknown";
}

}  // namespace aclc::runtime::filter
