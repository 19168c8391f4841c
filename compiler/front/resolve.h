// Selector resolution: what a policy selector means on a given inventory.
//
// Identity selectors (users, user:*@domain, groups, tags, the role and
// membership autogroups, device names) name devices; address selectors
// (prefixes, ranges, hosts, ipsets, autogroup:internet) name addresses with
// no device attached. Tagged devices have no user identity: a user, group,
// autogroup:member or role never matches them (tailscale-policy.md §3.2).
//
// Role autogroups use the inventory's "users" list: autogroup:admin and
// autogroup:owner match users whose role is exactly "admin" / "owner" (and
// likewise it-admin, network-admin, billing-admin, auditor). Tailscale's
// behaviour for roles in acls is not recorded; exact matching is the
// conservative reading. autogroup:shared is empty (shares are not in the
// device list).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/ipset.h"
#include "compiler/ir/ir.h"

namespace aclc {

// A selector on the source side, accumulated over a rule's src list.
struct SourceSet {
  IPSet addrs;            // what is admitted (routes included for "*")
  IPSet named;            // what address selectors (prefixes, hosts, ipsets)
                          // admit: Tailscale lists these even when "*"
                          // already covers them
  std::vector<Addr> nodes;  // device addresses, each listed bare
  bool wildcard = false;  // "*": SrcIPs also list every approved subnet route
  bool danger_all = false;  // autogroup:danger-all: SrcIPs is ["*"]

  // SrcIPs as Tailscale sends them (sorted, unique). `routes` are the
  // tailnet's approved non-exit routes.
  std::vector<std::string> wire(const std::vector<Prefix>& routes) const;
};

class Resolver {
 public:
  Resolver(const policy::Policy& pol, const Inventory& inv) : pol_(pol), inv_(inv) {}

  // Devices an identity selector names, in inventory order (empty for
  // address selectors and "*").
  std::vector<size_t> devices(const policy::Selector& s) const;

  // Adds a selector's source meaning to `out`.
  void add_source(const policy::Selector& s, SourceSet& out) const;

  // The DstPorts targets of a selector (autogroup:self has none; the caller
  // marks the group as self).
  std::vector<ir::Target> targets(const policy::Selector& s) const;

  // The addresses of an address selector: prefix, range, host, ipset,
  // autogroup:internet. Empty for anything else.
  IPSet address_set(const policy::Selector& s) const;

  // An ipset's addresses ("add"/"remove" in order).
  IPSet ipset(const std::string& name, int depth = 0) const;

 private:
  std::vector<size_t> resolve_devices(const policy::Selector& s) const;

  const policy::Policy& pol_;
  const Inventory& inv_;
  // Selector resolution is memoised by kind and name: big policies name the
  // same groups and tags over and over.
  mutable std::unordered_map<std::string, std::vector<size_t>> memo_;
};

}  // namespace aclc
