#include "control/unknown_users.h"

#include <algorithm>

namespace aclc::control {

void warn_unknown_group_members(const policy::Policy& pol, const std::vector<std::string>& logins,
                                Diagnostics& out) {
  auto known = [&](const std::string& member) {
    bool bare = !member.empty() && member.back() == '@';
    return std::any_of(logins.begin(), logins.end(), [&](const std::string& l) {
      return bare ? l.rfind(member, 0) == 0 : l == member;
    });
  };
  for (const policy::Group& g : pol.groups)
    for (const policy::Selector& m : g.members)
      if (m.kind == policy::SelectorKind::User && !known(m.name))
        out.warning(pol.file, m.pos,
                    "\"" + g.name.text + "\": user not found: \"" + m.name + "\"", "unknown-user",
                    "add a device or an auth key for this user, or remove them from the group");
}

}  // namespace aclc::control
