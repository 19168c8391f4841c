#include "compiler/ir/device.h"

#include <algorithm>

namespace aclc {

std::string normalize_login(std::string_view login) {
  std::string s(login);
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

bool Device::has_tag(std::string_view tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

bool Device::is_exit_node() const {
  for (const Prefix& p : enabled_routes) {
    if (p.bits == 0) return true;
  }
  return false;
}

std::vector<Prefix> Device::subnet_routes() const {
  std::vector<Prefix> out;
  for (const Prefix& p : enabled_routes) {
    if (p.bits != 0) out.push_back(p);
  }
  return out;
}

IPSet Device::address_set() const {
  IPSet s;
  for (const Addr& a : addresses) s.add(a);
  return s;
}

void Inventory::reindex() {
  by_name_.clear();
  by_addr_.clear();
  subnet_routes_.clear();
  by_owner_.clear();
  for (size_t i = 0; i < devices.size(); ++i) {
    const Device& d = devices[i];
    by_name_.emplace(d.hostname, i);
    if (!d.short_name.empty()) by_name_.emplace(d.short_name, i);
    for (const Addr& a : d.addresses) by_addr_.emplace(a, i);
    if (!d.tagged() && !d.user.empty()) by_owner_[normalize_login(d.user)].push_back(i);
    for (const Prefix& p : d.subnet_routes()) {
      if (std::find(subnet_routes_.begin(), subnet_routes_.end(), p) ==
          subnet_routes_.end()) {
        subnet_routes_.push_back(p);
      }
    }
  }
}

const Device* Inventory::find_device(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &devices[it->second];
}

const std::vector<size_t>& Inventory::devices_of(std::string_view login) const {
  static const std::vector<size_t> none;
  auto it = by_owner_.find(normalize_login(login));
  return it == by_owner_.end() ? none : it->second;
}

int Inventory::device_at(const Addr& a) const {
  auto it = by_addr_.find(a);
  return it == by_addr_.end() ? -1 : static_cast<int>(it->second);
}

const User* Inventory::find_user(std::string_view login) const {
  std::string l = normalize_login(login);
  for (const User& u : users) {
    if (!u.email.empty() && normalize_login(u.email) == l) return &u;
  }
  for (const User& u : users) {
    if (normalize_login(u.name) == l) return &u;
  }
  return nullptr;
}

bool Inventory::owned_by(const Device& d, std::string_view login) const {
  if (d.tagged() || d.user.empty()) return false;
  std::string want = normalize_login(login);
  std::string have = normalize_login(d.user);
  if (want == have) return true;
  // "odin@" names the user whose name (or email local part) is "odin".
  if (!want.empty() && want.back() == '@') {
    std::string bare = want.substr(0, want.size() - 1);
    if (have == bare) return true;
    if (have.rfind(want, 0) == 0) return true;  // odin@example.com
    if (const User* u = find_user(d.user)) {
      if (normalize_login(u->name) == bare) return true;
    }
  }
  // The device may name its owner by the user's name while the policy uses
  // the email, or the reverse.
  if (const User* u = find_user(d.user)) {
    if (normalize_login(u->login()) == want) return true;
    if (!u->email.empty() && normalize_login(u->email) == want) return true;
  }
  return false;
}

std::string Inventory::owner_role(const Device& d) const {
  if (d.tagged()) return "";
  if (const User* u = find_user(d.user)) {
    if (!u->role.empty()) return normalize_login(u->role);
  }
  return "member";
}

}  // namespace aclc
