#include "compiler/front/policy.h"

namespace aclc::policy {
namespace {

template <typename T>
const T* find_named(const std::vector<T>& items,
                    const std::unordered_map<std::string, size_t>& index,
                    const std::string& name) {
  if (index.size() == items.size() && !items.empty()) {
    auto it = index.find(name);
    if (it == index.end() || it->second >= items.size()) return nullptr;
    const T& found = items[it->second];
    if (found.name.text == name) return &found;
  }
  // The last definition wins, as with duplicate keys in Go's decoder.
  for (auto it = items.rbegin(); it != items.rend(); ++it)
    if (it->name.text == name) return &*it;
  return nullptr;
}

template <typename T>
void build_index(const std::vector<T>& items,
                 std::unordered_map<std::string, size_t>& index) {
  index.clear();
  for (size_t i = 0; i < items.size(); i++) index[items[i].name.text] = i;
  // Duplicate names: keep the scan, which honours "last wins".
  if (index.size() != items.size()) index.clear();
}

}  // namespace

const Group* Policy::find_group(const std::string& name) const {
  return find_named(groups, group_index, name);
}
const TagOwner* Policy::find_tag(const std::string& name) const {
  return find_named(tag_owners, tag_index, name);
}
const Host* Policy::find_host(const std::string& name) const {
  return find_named(hosts, host_index, name);
}
const IPSetDef* Policy::find_ipset(const std::string& name) const {
  return find_named(ipsets, ipset_index, name);
}
const Posture* Policy::find_posture(const std::string& name) const {
  return find_named(postures, posture_index, name);
}

void Policy::reindex() {
  build_index(groups, group_index);
  build_index(tag_owners, tag_index);
  build_index(hosts, host_index);
  build_index(ipsets, ipset_index);
  build_index(postures, posture_index);
}

}  // namespace aclc::policy
