// The nft back end: a device's Table as an nftables ruleset.
//
// The output is one `nft -f` file (nftables 1.0.6, Debian 12, and later)
// that replaces `table inet aclc` atomically and idempotently:
//
//   table inet aclc            # creates it if absent, so that...
//   delete table inet aclc     # ...this never fails
//   table inet aclc {
//     set d0_4 { type ipv4_addr; flags interval; elements = { ... } }  # zone dsts
//     set s0_4 { type ipv4_addr; flags interval; elements = { ... } }  # sources
//     chain mesh { ct state established,related counter accept
//                  ip daddr @d0_4 ip saddr @s0_4 meta l4proto { 6, 17 }
//                    th dport { 22-26, 443 } counter accept ...
//                  counter drop }
//     chain input   { type filter hook input priority filter; policy accept;
//                     iifname "tailscale0" jump mesh }
//     chain forward { ...hook forward...; iifname "tailscale0" jump mesh }
//   }
//
// Only traffic arriving on the mesh interface is filtered (input for the
// device's own addresses, forward for routed subnets and exit traffic);
// everything else passes untouched. Replies to the device's own flows pass
// through conntrack (established,related). Every rule has a counter. One
// rule per protocol class and distinct source set, its cells' ports as one
// set; identical source sets are declared once.
//
// Ports: TCP, UDP, SCTP, DCCP and UDP-Lite are matched on the transport
// destination port. Other protocols (ICMP, GRE, ...) have no port: like a
// Tailscale node, which parses their port as 0, they are allowed where the
// table allows port 0.
#pragma once

#include <string>
#include <string_view>

#include "compiler/back/table.h"

namespace aclc::nft {

struct Options {
  // The mesh interface. tailscale0 is what a Tailscale node creates, so the
  // ruleset works beside tailscaled unchanged; aclc's own runtime uses the
  // same name by default.
  std::string iface = "tailscale0";
};

// An interface name the kernel and nft accept: 1-15 characters of
// [A-Za-z0-9_.-] (no quotes, no wildcards).
bool valid_iface(std::string_view name);

// Whether a protocol carries a destination port nft can match (th dport).
bool has_ports(int proto);

// The ruleset of one device. `device` names it in a comment only.
// Precondition: valid_iface(opts.iface).
std::string ruleset(const table::Table& t, std::string_view device, const Options& opts = {});

}  // namespace aclc::nft
