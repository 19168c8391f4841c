#include "compiler/front/policy.h"

namespace aclc::policy {
namespace {

template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  // The last definition wins, as with duplicate keys in Go's decoder.
  for (auto it = items.rbegin(); it != items.rend(); ++it)
    if (it->name.text == name) return &*it;
  return nullptr;
}

}  // namespace

const Group* Policy::find_group(const std::string& name) const {
  return find_named(groups, name);
}
const TagOwner* Policy::find_tag(const std::string& name) const {
  return find_named(tag_owners, name);
}
const Host* Policy::find_host(const std::string& name) const {
  return find_named(hosts, name);
}
const IPSetDef* Policy::find_ipset(const std::string& name) const {
  return find_named(ipsets, name);
}

const Posture* Policy::find_posture(const std::string& name) const {
  return find_named(postures, name);
}

}  // namespace aclc::policy
