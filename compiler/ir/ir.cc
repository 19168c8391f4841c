#include "compiler/ir/ir.h"

#include <algorithm>

namespace aclc::ir {

bool Rule::has_self() const {
  for (const DstGroup& g : dst) {
    if (g.self) return true;
  }
  return false;
}

std::string Rule::origin_name() const {
  switch (origin) {
    case Origin::Grant:
      return "grants[" + std::to_string(index) + "]";
    case Origin::Acl:
      return "acls[" + std::to_string(index) + "]";
    case Origin::Default:
      return "default allow-all";
  }
  return "";
}

namespace {

// The untagged devices owned by the same user as `dst` that the rule admits.
template <typename F>
void for_each_self_source(const Rule& rule, const Inventory& inv, size_t dst, F f) {
  const Device& d = inv.devices[dst];
  if (d.tagged() || d.user.empty()) return;
  for (size_t i : inv.devices_of(d.user)) {
    const Device& other = inv.devices[i];
    bool admitted = false;
    for (const Addr& a : other.addresses) {
      if (rule.src.contains(a)) {
        admitted = true;
        break;
      }
    }
    if (admitted) f(other);
  }
}

}  // namespace

IPSet self_sources(const Rule& rule, const Inventory& inv, size_t dst) {
  IPSet out;
  for_each_self_source(rule, inv, dst, [&](const Device& dev) {
    for (const Addr& a : dev.addresses) out.add(a);
  });
  return out;
}

std::vector<std::string> self_sources_wire(const Rule& rule, const Inventory& inv, size_t dst) {
  std::vector<std::string> out;
  for_each_self_source(rule, inv, dst, [&](const Device& dev) {
    for (const Addr& a : dev.addresses) out.push_back(to_string(a));
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string wire_prefix(const Prefix& p) {
  if (p.is_single_addr()) return to_string(p.addr);
  return to_string(p);
}

}  // namespace aclc::ir
