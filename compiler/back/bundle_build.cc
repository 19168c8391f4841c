#include "compiler/back/bundle_build.h"

#include <algorithm>
#include <utility>

namespace aclc::bundle {
namespace {

Prefix to_prefix(const aclc::Prefix& p) {
  aclc::Prefix m = p.masked();
  return Prefix{uint8_t(m.family() == Family::V4 ? 4 : 6), uint8_t(m.bits), m.addr.value};
}

}  // namespace

AddrSet to_addrset(const IPSet& s) {
  AddrSet out;
  out.v4.reserve(s.range_count(Family::V4));
  for (const Interval& iv : s.intervals(Family::V4))
    out.v4.emplace_back(uint32_t(iv.first), uint32_t(iv.last));
  out.v6.reserve(s.range_count(Family::V6));
  for (const Interval& iv : s.intervals(Family::V6)) out.v6.emplace_back(iv.first, iv.last);
  return out;
}

IPSet to_ipset(const AddrSet& s) {
  IPSetBuilder b;
  for (auto [lo, hi] : s.v4) b.add_range(Addr(lo), Addr(hi));
  for (auto [lo, hi] : s.v6) b.add_range(Addr(Family::V6, lo), Addr(Family::V6, hi));
  return std::move(b).build();
}

std::vector<Zone> to_filter(const table::Table& t) {
  std::vector<Zone> zones;
  zones.reserve(t.zones().size());
  for (const table::Zone& z : t.zones()) {
    Zone out;
    out.dsts = to_addrset(z.dsts);
    for (const table::ProtoClass& c : z.classes) {
      ProtoClass pc;
      for (int p : c.protos) pc.protos.push_back(uint8_t(p));
      pc.cells.reserve(c.cells.size());
      for (const table::Cell& cell : c.cells)
        pc.cells.push_back(Cell{cell.ports.first, cell.ports.last, to_addrset(cell.sources)});
      out.classes.push_back(std::move(pc));
    }
    zones.push_back(std::move(out));
  }
  return zones;
}

table::Table from_filter(const std::vector<Zone>& zones) {
  std::vector<table::Zone> out;
  out.reserve(zones.size());
  for (const Zone& z : zones) {
    table::Zone tz;
    tz.dsts = to_ipset(z.dsts);
    for (const ProtoClass& c : z.classes) {
      table::ProtoClass tc;
      for (uint8_t p : c.protos) tc.protos.add(p);
      for (const Cell& cell : c.cells)
        tc.cells.push_back(table::Cell{PortRange{cell.port_first, cell.port_last},
                                       to_ipset(cell.sources)});
      tz.classes.push_back(std::move(tc));
    }
    out.push_back(std::move(tz));
  }
  return table::Table(std::move(out));
}

Bundle make_bundle(const Inventory& inv, size_t device, const table::Table& t,
                   const std::vector<size_t>& peers, const Stamp& stamp) {
  const Device& d = inv.devices.at(device);
  Bundle b;
  b.device = d.hostname;
  for (const Addr& a : d.addresses) b.addresses.push_back(to_prefix(aclc::Prefix::host(a)));
  b.revision = stamp.revision;
  b.serial = stamp.serial;
  b.issued_at = stamp.issued_at;
  b.expires_at = stamp.expires_at;
  b.filter = to_filter(t);
  b.peers.reserve(peers.size());
  for (size_t i : peers) {
    const Device& p = inv.devices.at(i);
    Peer peer;
    peer.name = p.hostname;
    if (!p.wireguard_public_key.empty()) {
      // The inventory loader has checked it is the base64 of 32 bytes.
      std::string err;
      auto key = public_key_from_text("aclc-ed25519-public:" + p.wireguard_public_key, err);
      if (key) peer.wireguard_key = *key;
    }
    peer.endpoints = p.endpoints;
    for (const Addr& a : p.addresses) peer.allowed_ips.push_back(to_prefix(aclc::Prefix::host(a)));
    for (const aclc::Prefix& r : p.enabled_routes) {
      Prefix q = to_prefix(r);
      if (std::find(peer.allowed_ips.begin(), peer.allowed_ips.end(), q) == peer.allowed_ips.end())
        peer.allowed_ips.push_back(q);
    }
    b.peers.push_back(std::move(peer));
  }
  return b;
}

}  // namespace aclc::bundle
