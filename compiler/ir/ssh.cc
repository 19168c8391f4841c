#include "compiler/ir/ssh.h"

#include <algorithm>
#include <unordered_map>

namespace aclc::ir {

bool SshRule::has_localpart() const {
  for (const SshUser& u : users) {
    if (u.kind == SshUser::Kind::Localpart) return true;
  }
  return false;
}

namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The sshUsers every expansion of the rule carries: autogroup:nonroot as
// "*":"=", root mapped to itself or explicitly to nothing, literals to
// themselves. Localpart entries are per source user and not in here.
std::map<std::string, std::string> base_users(const SshRule& r) {
  std::map<std::string, std::string> m;
  bool root = false;
  for (const SshUser& u : r.users) {
    switch (u.kind) {
      case SshUser::Kind::NonRoot:
        m["*"] = "=";
        break;
      case SshUser::Kind::Literal:
        if (u.name == "root") root = true;
        m[u.name] = u.name;
        break;
      case SshUser::Kind::Localpart:
        break;
    }
  }
  if (!root) m["root"] = "";
  return m;
}

// The login a device's owner is known by, and that user's email (for the
// local part), or "" for tagged and ownerless devices.
struct Owner {
  std::string key;    // normalized login
  std::string email;  // as written
  size_t order = 0;   // position in Inventory::users, else after them
};

Owner owner_of(const Inventory& inv, const Device& d, size_t first_seen) {
  Owner o;
  if (d.tagged() || d.user.empty()) return o;
  o.key = normalize_login(d.user);
  o.email = d.user;
  o.order = inv.users.size() + first_seen;
  if (const User* u = inv.find_user(d.user)) {
    if (!u->email.empty()) o.email = u->email;
    o.order = static_cast<size_t>(u - inv.users.data());
  }
  return o;
}

// The local part of `email` if its domain is one of the rule's localpart
// domains, else nullopt.
std::optional<std::string> localpart_for(const SshRule& r, const std::string& email) {
  size_t at = email.rfind('@');
  if (at == std::string::npos) return std::nullopt;
  std::string domain = lower_ascii(email.substr(at + 1));
  for (const SshUser& u : r.users) {
    if (u.kind == SshUser::Kind::Localpart && lower_ascii(u.name) == domain) {
      return email.substr(0, at);
    }
  }
  return std::nullopt;
}

void append_addresses(const Inventory& inv, const SshSource& s, std::vector<Addr>& out) {
  if (s.device < 0) {
    out.push_back(s.addr);
    return;
  }
  for (const Addr& a : inv.devices[static_cast<size_t>(s.device)].addresses) out.push_back(a);
}

}  // namespace

// A rule's sources grouped by owning user (users in user-list order), and
// the rest (tagged devices, bare addresses).
struct SshCompiler::Grouped {
  struct UserGroup {
    Owner owner;
    std::vector<Addr> principals;
  };
  std::vector<UserGroup> users;
  std::vector<Addr> others;
  std::unordered_map<std::string, size_t> index;  // owner key -> users[i]

  const UserGroup* find(const std::string& key) const {
    auto it = index.find(key);
    return it == index.end() ? nullptr : &users[it->second];
  }
};

namespace {

SshCompiler::Grouped group_sources(const SshRule& r, const Inventory& inv) {
  using Grouped = SshCompiler::Grouped;
  Grouped g;
  std::unordered_map<std::string, size_t> pos;
  for (size_t i = 0; i < r.src.size(); ++i) {
    const SshSource& s = r.src[i];
    Owner o;
    if (s.device >= 0) o = owner_of(inv, inv.devices[static_cast<size_t>(s.device)], i);
    if (o.key.empty()) {
      append_addresses(inv, s, g.others);
      continue;
    }
    auto [it, fresh] = pos.emplace(o.key, g.users.size());
    if (fresh) g.users.push_back({o, {}});
    append_addresses(inv, s, g.users[it->second].principals);
  }
  std::stable_sort(g.users.begin(), g.users.end(),
                   [](const Grouped::UserGroup& a, const Grouped::UserGroup& b) {
                     return a.owner.order < b.owner.order;
                   });
  for (size_t i = 0; i < g.users.size(); ++i) g.index[g.users[i].owner.key] = i;
  return g;
}

bool is_source(const SshRule& r, size_t node) {
  for (const SshSource& s : r.src) {
    if (s.device == static_cast<int>(node)) return true;
  }
  return false;
}

}  // namespace

SshCompiler::SshCompiler(const SshProgram& prog, const Inventory& inv) : prog_(prog), inv_(inv) {
  groups_.reserve(prog.rules.size());
  for (const SshRule& r : prog.rules) {
    groups_.push_back(r.has_localpart() || r.dst_self ? group_sources(r, inv) : Grouped{});
  }
}

SshCompiler::~SshCompiler() = default;

std::vector<NodeSshRule> node_ssh_rules(const SshProgram& prog, const Inventory& inv,
                                        size_t node) {
  return SshCompiler(prog, inv).for_node(node);
}

std::vector<NodeSshRule> SshCompiler::for_node(size_t node) const {
  const SshProgram& prog = prog_;
  const Inventory& inv = inv_;
  std::vector<NodeSshRule> out;
  if (node >= inv.devices.size()) return out;
  const Device& self = inv.devices[node];

  for (size_t ri = 0; ri < prog.rules.size(); ++ri) {
    const SshRule& r = prog.rules[ri];
    if (r.src.empty() && !r.src_any) continue;
    const std::map<std::string, std::string> base = base_users(r);

    auto emit = [&](std::vector<Addr> principals, bool any,
                    std::map<std::string, std::string> users) {
      NodeSshRule n;
      n.rule = ri;
      n.any = any;
      n.principals = std::move(principals);
      n.users = std::move(users);
      n.action = r.action;
      n.accept_env = r.accept_env;
      out.push_back(std::move(n));
    };
    // The rule for a group of principals plus, for a user whose domain a
    // localpart entry names, a second rule mapping their local part.
    auto emit_for = [&](const std::vector<Addr>& principals, const std::string* email) {
      if (principals.empty()) return;
      emit(principals, false, base);
      if (!email) return;
      if (auto lp = localpart_for(r, *email)) emit(principals, false, {{*lp, *lp}});
    };

    const bool localpart = r.has_localpart();
    const Grouped& grouped = groups_[ri];

    // autogroup:self: the node's own user's devices among the sources.
    if (r.dst_self && !self.tagged() && !self.user.empty()) {
      if (const auto* g = grouped.find(normalize_login(self.user))) {
        emit_for(g->principals, &g->owner.email);
      }
    }

    if (r.dst.empty()) continue;
    const bool is_dst = std::find(r.dst.begin(), r.dst.end(), node) != r.dst.end();
    if (is_dst) {
      if (localpart) {
        for (const auto& g : grouped.users) emit_for(g.principals, &g.owner.email);
        if (!grouped.others.empty() || r.src_any) {
          if (grouped.others.empty()) {
            emit({}, true, base);
          } else {
            emit(grouped.others, r.src_any, base);
          }
        }
      } else {
        std::vector<Addr> all;
        for (const SshSource& s : r.src) append_addresses(inv, s, all);
        emit(std::move(all), r.src_any, base);
      }
    } else if (localpart && is_source(r, node)) {
      // Recorded Tailscale behaviour: a source node of a localpart rule
      // receives the rules for its own user (or, tagged, its own addresses)
      // even when it is not a destination.
      if (self.tagged() || self.user.empty()) {
        emit_for(self.addresses, nullptr);
      } else if (const auto* g = grouped.find(normalize_login(self.user))) {
        emit_for(g->principals, &g->owner.email);
      }
    }
  }

  std::stable_sort(out.begin(), out.end(), [](const NodeSshRule& a, const NodeSshRule& b) {
    return a.action == SshAction::Check && b.action != SshAction::Check;
  });
  return out;
}

const char* ssh_verdict_name(SshVerdict v) {
  switch (v) {
    case SshVerdict::Accept:
      return "accept";
    case SshVerdict::Check:
      return "check";
    case SshVerdict::Deny:
      return "deny";
  }
  return "deny";
}

SshDecision decide_ssh(const std::vector<NodeSshRule>& rules, const Addr& src,
                       std::string_view ssh_user) {
  SshDecision d;
  if (ssh_user.empty()) return d;
  const std::string user(ssh_user);
  for (size_t i = 0; i < rules.size(); ++i) {
    const NodeSshRule& r = rules[i];
    bool principal = r.any || std::find(r.principals.begin(), r.principals.end(), src) !=
                                  r.principals.end();
    if (!principal) continue;
    auto it = r.users.find(user);
    if (it == r.users.end()) it = r.users.find("*");
    if (it == r.users.end()) continue;
    std::string local = it->second == "=" ? user : it->second;
    if (local.empty()) continue;
    d.verdict = r.action == SshAction::Check ? SshVerdict::Check : SshVerdict::Accept;
    d.node_rule = i;
    d.local_user = std::move(local);
    return d;
  }
  return d;
}

}  // namespace aclc::ir
