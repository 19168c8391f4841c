// Does a compiled tailcfg packet filter admit a flow? Parses the wire strings
// back ("*", "a", "a/n", "a-b") and matches literally (protocol in IPProto or
// the default set, port in range), the way decide() is specified, so the two
// can be compared.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "compiler/back/tailcfg.h"
#include "compiler/ir/evaluate.h"
#include "compiler/ir/ipset.h"

namespace aclc::testing {

inline IPSet wire_set(const std::string& s) {
  IPSet out;
  if (s == "*") return IPSet::all_addresses();
  if (auto r = parse_range(s)) {
    out.add(*r);
  } else if (auto p = parse_addr_or_prefix(s)) {
    out.add(*p);
  }
  return out;
}

inline bool rule_admits(const tailcfg::FilterRule& r, const ir::Flow& f) {
  if (!r.cap_grant.empty()) return false;
  ProtoSet protos = ProtoSet::default_protos();
  if (r.ip_proto && !r.ip_proto->empty()) {
    protos = ProtoSet();
    for (int p : *r.ip_proto) protos.add(static_cast<uint8_t>(p));
  }
  if (!protos.contains(f.proto)) return false;
  bool src = false;
  if (r.src_ips)
    for (const std::string& s : *r.src_ips) src = src || wire_set(s).contains(f.src);
  if (!src) return false;
  for (const tailcfg::NetPortRange& d : r.dst_ports) {
    if (d.ports.contains(f.port) && wire_set(d.ip).contains(f.dst)) return true;
  }
  return false;
}

inline bool filter_admits(const std::vector<tailcfg::FilterRule>& rules, const ir::Flow& f) {
  for (const tailcfg::FilterRule& r : rules) {
    if (rule_admits(r, f)) return true;
  }
  return false;
}

// A random address from a set (uniform over its ranges, then within).
inline Addr random_in(const IPSet& s, std::mt19937_64& rng) {
  std::vector<IPRange> rs = s.ranges();
  const IPRange& r = rs[rng() % rs.size()];
  u128 span = r.last.value - r.first.value;
  u128 off = span == ~u128{0} ? (u128{rng()} << 64 | rng()) : (u128{rng()} << 64 | rng()) % (span + 1);
  return Addr(r.first.family, r.first.value + off);
}

}  // namespace aclc::testing
