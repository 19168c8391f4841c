// The tailnet's devices and users: what selectors are resolved against.
//
// A Device is one entry of Tailscale's device list (GET /api/v2/tailnet/-/
// devices) reduced to what decides access: its addresses, its owner or its
// tags, and its routes. Identity follows Tailscale: a tagged device has no
// user identity for the policy, whatever its `user` field says.
//
// Names: a device is named in the aclc dialect by its `hostname`. The first
// DNS label of its MagicDNS `name` ("web-1" of "web-1.tail1234.ts.net") is an
// alias for it, because that is how users see the device in the admin
// console; both must be unique across the inventory (checked on load).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/ir/addr.h"
#include "compiler/ir/ipset.h"

namespace aclc {

struct User {
  std::string name;   // "odin"
  std::string email;  // "odin@example.com", may be empty
  std::string role;   // "owner", "admin", "member", ... ; empty = member
  Pos pos;
  // The login a device's `user` field and policy selectors name: the email,
  // or the name when there is no email.
  const std::string& login() const { return email.empty() ? name : email; }
};

struct Device {
  std::string hostname;                 // the selector name
  std::string name;                     // MagicDNS name as given
  std::string short_name;               // first label of `name`
  std::vector<Addr> addresses;          // in the order given
  std::string user;                     // owner login as given
  std::vector<std::string> tags;        // "tag:x", as given
  std::vector<Prefix> advertised_routes;
  std::vector<Prefix> enabled_routes;   // approved routes
  std::string wireguard_public_key;     // aclc extension, base64, may be empty
  std::vector<std::string> endpoints;   // aclc extension, "host:port"
  Pos pos;                              // the device object's opening brace

  bool tagged() const { return !tags.empty(); }
  bool has_tag(std::string_view tag) const;
  // Approved exit routes (0.0.0.0/0 or ::/0): the node is an exit node.
  bool is_exit_node() const;
  // Approved routes other than the exit routes, as written.
  std::vector<Prefix> subnet_routes() const;
  // The device's own addresses as a set.
  IPSet address_set() const;
};

// Devices and users, with look-ups by name and by address.
class Inventory {
 public:
  std::string file;  // for diagnostics
  std::vector<Device> devices;
  std::vector<User> users;

  // Rebuilds the look-up indexes; call after changing `devices`/`users`.
  void reindex();

  // Device by hostname or short name; nullptr if none.
  const Device* find_device(std::string_view name) const;
  // Index of the device owning the address, or -1.
  int device_at(const Addr& a) const;
  // The user record for a login (matched against email, then name,
  // case-insensitively); nullptr if the list has none.
  const User* find_user(std::string_view login) const;

  // True if the device is untagged and owned by the login. A login may be
  // written "name@" (Tailscale's form for users without an email domain).
  bool owned_by(const Device& d, std::string_view login) const;
  // Indexes of the untagged devices whose `user` is the login (compared
  // after normalize_login), in inventory order.
  const std::vector<size_t>& devices_of(std::string_view login) const;
  // Indexes of the untagged devices owned by the user a policy login names:
  // the login itself, the same user under their other identifier (email or
  // name, from the users list), and for "name@" every login "name@...".
  // Sorted, unique.
  std::vector<size_t> devices_of_login(std::string_view login) const;
  // Indexes of the devices carrying the tag, in inventory order.
  const std::vector<size_t>& devices_with_tag(std::string_view tag) const;
  // The role of an untagged device's owner ("member" if unknown).
  std::string owner_role(const Device& d) const;

  // Every approved non-exit route of every device, each as written, in
  // device order, duplicates removed.
  const std::vector<Prefix>& approved_subnet_routes() const { return subnet_routes_; }

 private:
  std::unordered_map<std::string, size_t> by_name_;
  std::unordered_map<Addr, size_t> by_addr_;
  std::unordered_map<std::string, std::vector<size_t>> by_owner_;
  std::unordered_map<std::string, std::vector<size_t>> by_local_part_;  // "odin" of odin@x
  std::unordered_map<std::string, std::vector<size_t>> by_tag_;
  std::unordered_map<std::string, size_t> user_by_email_;
  std::unordered_map<std::string, size_t> user_by_name_;
  std::vector<Prefix> subnet_routes_;
};

// Canonical form of a login for comparisons (ASCII lower-case).
std::string normalize_login(std::string_view login);

}  // namespace aclc
