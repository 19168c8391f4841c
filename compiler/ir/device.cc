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
  by_local_part_.clear();
  by_tag_.clear();
  user_by_email_.clear();
  user_by_name_.clear();
  for (size_t i = 0; i < users.size(); ++i) {
    if (!users[i].email.empty()) user_by_email_.emplace(normalize_login(users[i].email), i);
    user_by_name_.emplace(normalize_login(users[i].name), i);
  }
  for (size_t i = 0; i < devices.size(); ++i) {
    const Device& d = devices[i];
    by_name_.emplace(d.hostname, i);
    if (!d.short_name.empty()) by_name_.emplace(d.short_name, i);
    for (const Addr& a : d.addresses) by_addr_.emplace(a, i);
    if (!d.tagged() && !d.user.empty()) {
      std::string owner = normalize_login(d.user);
      by_owner_[owner].push_back(i);
      size_t at = owner.find('@');
      if (at != std::string::npos) by_local_part_[owner.substr(0, at)].push_back(i);
    }
    for (const std::string& t : d.tags) {
      std::vector<size_t>& v = by_tag_[t];
      if (v.empty() || v.back() != i) v.push_back(i);
    }
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
  auto e = user_by_email_.find(l);
  if (e != user_by_email_.end()) return &users[e->second];
  auto n = user_by_name_.find(l);
  if (n != user_by_name_.end()) return &users[n->second];
  return nullptr;
}

const std::vector<size_t>& Inventory::devices_with_tag(std::string_view tag) const {
  static const std::vector<size_t> none;
  auto it = by_tag_.find(std::string(tag));
  return it == by_tag_.end() ? none : it->second;
}

std::vector<size_t> Inventory::devices_of_login(std::string_view login) const {
  std::vector<size_t> out;
  auto add = [&](const std::string& owner) {
    auto it = by_owner_.find(owner);
    if (it != by_owner_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  };
  std::string l = normalize_login(login);
  add(l);
  if (const User* u = find_user(l)) {
    add(normalize_login(u->name));
    if (!u->email.empty()) add(normalize_login(u->email));
  }
  if (!l.empty() && l.back() == '@') {
    std::string bare = l.substr(0, l.size() - 1);
    add(bare);
    auto it = by_local_part_.find(bare);
    if (it != by_local_part_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    if (const User* u = find_user(bare)) {
      add(normalize_login(u->name));
      if (!u->email.empty()) add(normalize_login(u->email));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool Inventory::owned_by(const Device& d, std::string_view login) const {
  if (d.tagged() || d.user.empty()) return false;
  size_t idx = static_cast<size_t>(&d - devices.data());
  if (idx >= devices.size()) return false;
  std::vector<size_t> owned = devices_of_login(login);
  return std::binary_search(owned.begin(), owned.end(), idx);
}

std::string Inventory::owner_role(const Device& d) const {
  if (d.tagged()) return "";
  if (const User* u = find_user(d.user)) {
    if (!u->role.empty()) return normalize_login(u->role);
  }
  return "member";
}

}  // namespace aclc
