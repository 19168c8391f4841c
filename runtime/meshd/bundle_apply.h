// Puts a bundle in force on the running node: the device's peers, the
// filter's table and the interface's addresses.
//
// Peers are changed by difference, in one all-or-nothing Device::apply()
// without replace_peers, so a peer present before and after keeps its
// sessions: a bundle's peer becomes (public key, its allowed IPs = the
// peer's addresses and approved routes, replacing the old ones, and its
// first usable endpoint when the peer is new or the bundle's endpoints for
// it changed, so a roamed endpoint is not reset by every reload); a device
// peer the bundle does not list is removed, including peers set by hand
// over UAPI. A bundle peer without a WireGuard key, or whose endpoints are
// all unusable (meshd does not resolve host names), is reported in the
// warnings; a keyless one is skipped.
//
// With no bundle (nullptr) the node runs fail closed: no peers, no table.
#ifndef ACLC_RUNTIME_MESHD_BUNDLE_APPLY_H_
#define ACLC_RUNTIME_MESHD_BUNDLE_APPLY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "runtime/device/config.h"

namespace aclc::meshd {

// The device's new peer set, computed from the old state and the bundles.
struct PeerPlan {
  runtime::DeviceConfig config;  // for Device::apply()
  size_t added = 0, updated = 0, removed = 0, skipped = 0;
  std::vector<std::string> warnings;  // one log line each
};

// `previous`: the bundle applied last (null: none), whose endpoints tell
// whether the new bundle moved a peer. `current`: the device's state now.
PeerPlan plan_peers(const bundle::Bundle* previous, const bundle::Bundle* next,
                    const runtime::DeviceStatus& current);

// "1.2.3.4:51820" or "[fd00::1]:51820", numeric only.
std::optional<runtime::Endpoint> parse_numeric_endpoint(std::string_view text);
runtime::AllowedIp to_allowed_ip(const bundle::Prefix& p);

// Where a bundle goes. install_filter receives the bundle to enforce
// (null: none, inbound admits nothing); configure_interface (optional) puts
// the node's own addresses and its peers' routes on the interface
// (interface_addresses.h) and returns "" or the problems.
struct ApplyTargets {
  runtime::ConfigTarget& device;
  std::function<void(std::shared_ptr<const bundle::Bundle>)> install_filter;
  std::function<std::string(const bundle::Bundle&)> configure_interface;
};

struct ApplyReport {
  bool ok = true;                  // false: the device refused the peer set
  std::vector<std::string> lines;  // log lines: a summary, then warnings
};

class BundleApplier {
 public:
  explicit BundleApplier(ApplyTargets targets) : targets_(std::move(targets)) {}

  // Applies `next` (null: fail closed). The filter is installed even if
  // the device refuses the peers: the table of the newest verified bundle
  // decides what is admitted.
  ApplyReport apply(std::shared_ptr<const bundle::Bundle> next);
  // Drops the table (an expired bundle): inbound admits nothing, peers stay.
  void withdraw_filter();

 private:
  ApplyTargets targets_;
  std::shared_ptr<const bundle::Bundle> applied_;
};

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_BUNDLE_APPLY_H_
