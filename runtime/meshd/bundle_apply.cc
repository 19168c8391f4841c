#include "runtime/meshd/bundle_apply.h"

#include <map>
#include <set>

#include "runtime/uapi/endpoint_text.h"

namespace aclc::meshd {
namespace {

using runtime::AllowedIp;
using runtime::Endpoint;
using runtime::Key32;
using runtime::PeerConfig;

std::optional<Endpoint> first_endpoint(const bundle::Peer& p) {
  for (const std::string& e : p.endpoints)
    if (auto ep = parse_numeric_endpoint(e)) return ep;
  return std::nullopt;
}

}  // namespace

std::optional<Endpoint> parse_numeric_endpoint(std::string_view text) {
  // UAPI's parser: the same strict rules `wg set ... endpoint` follows.
  auto ep = runtime::uapi::parse_endpoint(text);
  if (!ep || ep->port == 0) return std::nullopt;
  return ep;
}

AllowedIp to_allowed_ip(const bundle::Prefix& p) {
  AllowedIp a;
  a.family = p.family;
  a.bits = p.bits;
  // Network byte order; IPv4 sits in the low 32 bits of the u128.
  size_t n = p.family == 4 ? 4 : 16;
  for (size_t i = 0; i < n; ++i) a.address[i] = uint8_t(p.addr >> (8 * (n - 1 - i)));
  return a;
}

PeerPlan plan_peers(const bundle::Bundle* previous, const bundle::Bundle* next,
                    const runtime::DeviceStatus& current) {
  PeerPlan plan;
  std::set<Key32> present;
  for (const auto& s : current.peers) present.insert(s.public_key);
  std::map<Key32, const bundle::Peer*> before;
  if (previous)
    for (const auto& p : previous->peers)
      if (p.wireguard_key) before.emplace(*p.wireguard_key, &p);

  std::set<Key32> wanted;
  if (next) {
    for (const bundle::Peer& p : next->peers) {
      if (!p.wireguard_key) {
        ++plan.skipped;
        plan.warnings.push_back("peer " + p.name + " has no WireGuard key in the bundle; skipped");
        continue;
      }
      const Key32& key = *p.wireguard_key;
      if (!wanted.insert(key).second) {
        ++plan.skipped;
        plan.warnings.push_back("peer " + p.name +
                                " has the WireGuard key of an earlier peer; skipped");
        continue;
      }
      PeerConfig pc;
      pc.public_key = key;
      pc.replace_allowed_ips = true;
      for (const auto& prefix : p.allowed_ips) pc.add_allowed_ips.push_back(to_allowed_ip(prefix));
      bool is_new = !present.contains(key);
      auto was = before.find(key);
      bool moved = was == before.end() || was->second->endpoints != p.endpoints;
      if (is_new || moved) {
        pc.endpoint = first_endpoint(p);
        if (!pc.endpoint && !p.endpoints.empty())
          plan.warnings.push_back("peer " + p.name +
                                  ": no usable endpoint (meshd takes numeric host:port only); "
                                  "it can still reach us");
      }
      is_new ? ++plan.added : ++plan.updated;
      plan.config.peers.push_back(std::move(pc));
    }
  }
  for (const auto& s : current.peers) {
    if (wanted.contains(s.public_key)) continue;
    PeerConfig pc;
    pc.public_key = s.public_key;
    pc.remove = true;
    ++plan.removed;
    plan.config.peers.push_back(std::move(pc));
  }
  return plan;
}

ApplyReport BundleApplier::apply(std::shared_ptr<const bundle::Bundle> next) {
  ApplyReport report;
  PeerPlan plan = plan_peers(applied_.get(), next.get(), targets_.device.status());
  int rc = targets_.device.apply(plan.config);
  if (rc != 0) {
    report.ok = false;
    report.lines.push_back("the device refused the bundle's peers (errno " + std::to_string(-rc) +
                           "); the previous peers stay");
  } else {
    report.lines.push_back("peers: " + std::to_string(plan.added) + " added, " +
                           std::to_string(plan.updated) + " kept, " +
                           std::to_string(plan.removed) + " removed, " +
                           std::to_string(plan.skipped) + " skipped");
  }
  for (auto& w : plan.warnings) report.lines.push_back(std::move(w));
  if (targets_.install_filter) targets_.install_filter(next);
  if (next && targets_.configure_interface) {
    std::string error = targets_.configure_interface(*next);
    if (!error.empty()) report.lines.push_back("interface: " + error);
  }
  if (rc == 0) applied_ = std::move(next);
  return report;
}

void BundleApplier::withdraw_filter() {
  if (targets_.install_filter) targets_.install_filter(nullptr);
}

}  // namespace aclc::meshd
