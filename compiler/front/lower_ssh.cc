#include "compiler/front/lower_ssh.h"

#include <algorithm>

#include "compiler/front/resolve.h"

namespace aclc {

using policy::Selector;
using policy::SelectorKind;

ir::SshUser classify_ssh_user(const std::string& text) {
  ir::SshUser u;
  u.name = text;
  if (text == "autogroup:nonroot") {
    u.kind = ir::SshUser::Kind::NonRoot;
    return u;
  }
  static const std::string kLocalpart = "localpart:*@";
  if (text.compare(0, kLocalpart.size(), kLocalpart) == 0) {
    std::string domain = text.substr(kLocalpart.size());
    // "localpart:*@" (no domain) is recorded as a literal user.
    if (!domain.empty() && domain.find('*') == std::string::npos) {
      u.kind = ir::SshUser::Kind::Localpart;
      u.name = domain;
    }
  }
  return u;
}

namespace {

void add_sources(const Resolver& res, const policy::Policy& pol, const Inventory& inv,
                 const Selector& s, ir::SshRule& out) {
  switch (s.kind) {
    case SelectorKind::Wildcard:
      out.src_any = true;
      return;
    case SelectorKind::Prefix:
      if (s.prefix.is_single_addr()) out.src.push_back({-1, s.prefix.addr});
      return;
    case SelectorKind::Range:
    case SelectorKind::IPSet:
      return;
    case SelectorKind::Name:
      if (const policy::Host* h = pol.find_host(s.name)) {
        if (h->prefix.is_single_addr()) out.src.push_back({-1, h->prefix.addr});
        return;
      }
      break;
    case SelectorKind::Autogroup:
      if (s.name == "tagged") {
        for (size_t i = 0; i < inv.devices.size(); ++i) {
          for (size_t t = 0; t < inv.devices[i].tags.size(); ++t) {
            out.src.push_back({static_cast<int>(i), {}});
          }
        }
        return;
      }
      break;
    default:
      break;
  }
  for (size_t i : res.devices(s)) out.src.push_back({static_cast<int>(i), {}});
}

}  // namespace

ir::SshProgram lower_ssh(const policy::Policy& pol, const Inventory& inv) {
  ir::SshProgram prog;
  Resolver res(pol, inv);
  for (const policy::SshRule& pr : pol.ssh) {
    ir::SshRule r;
    r.index = pr.index;
    r.pos = pr.pos;
    r.action = pr.action == policy::SshAction::Check ? ir::SshAction::Check
                                                     : ir::SshAction::Accept;
    for (const Selector& s : pr.src) add_sources(res, pol, inv, s, r);
    for (const Selector& d : pr.dst) {
      if (d.kind == SelectorKind::Autogroup && d.name == "self") {
        r.dst_self = true;
        continue;
      }
      for (size_t i : res.devices(d)) r.dst.push_back(i);
    }
    std::sort(r.dst.begin(), r.dst.end());
    r.dst.erase(std::unique(r.dst.begin(), r.dst.end()), r.dst.end());
    for (const policy::Str& u : pr.users) r.users.push_back(classify_ssh_user(u.text));
    if (pr.check_period) r.check_period = pr.check_period->text;
    for (const policy::Str& e : pr.accept_env) r.accept_env.push_back(e.text);
    prog.rules.push_back(std::move(r));
  }
  return prog;
}

}  // namespace aclc
