// The node's addresses and routes on its interface, set over rtnetlink (no
// shelling out to ip(8)): the bundle's own addresses (/32, /128) on IFACE,
// and a route through IFACE for every peer's allowed IP, so the host sends
// mesh traffic into the tunnel. What a previous call added and the next one
// no longer wants is removed; what the operator added by hand is left
// alone. Default routes (/0) from a peer's approved routes are not
// installed (meshd is not an exit-node client): they are reported.
#ifndef ACLC_RUNTIME_MESHD_INTERFACE_ADDRESSES_H_
#define ACLC_RUNTIME_MESHD_INTERFACE_ADDRESSES_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "compiler/bundle/bundle.h"

namespace aclc::meshd {

class InterfaceAddresses {
 public:
  explicit InterfaceAddresses(std::string iface) : iface_(std::move(iface)) {}

  // Makes IFACE carry `b`'s addresses and routes. Returns "" or the
  // problems, one clause each ("; "-separated). Needs CAP_NET_ADMIN.
  std::string configure(const bundle::Bundle& b);

 private:
  using Key = std::pair<uint8_t, std::pair<bundle::u128, uint8_t>>;  // family, addr, bits
  std::string iface_;
  std::set<Key> addresses_;  // what we added
  std::set<Key> routes_;
};

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_INTERFACE_ADDRESSES_H_
