#include "verifier/encode.h"

#include <algorithm>
#include <map>
#include <set>

#include "compiler/front/resolve.h"

namespace aclc::verify {

using policy::Selector;
using policy::SelectorKind;

const char* scope_name(Scope s) { return s == Scope::Nodes ? "nodes" : "symbolic"; }

namespace {

std::string u128_decimal(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

u128 parse_decimal(const std::string& s) {
  u128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + static_cast<u128>(c - '0');
  }
  return v;
}

const char* side_name(Side s) { return s == Side::Src ? "src" : "dst"; }

std::string domain_of(const std::string& login) {
  size_t at = login.rfind('@');
  return at == std::string::npos ? "" : normalize_login(login.substr(at + 1));
}

bool is_role_autogroup(const std::string& name) {
  return name == "admin" || name == "owner" || name == "it-admin" || name == "network-admin" ||
         name == "billing-admin" || name == "auditor";
}

z3::expr any_of(z3::context& ctx, const std::vector<z3::expr>& xs) {
  if (xs.empty()) return ctx.bool_val(false);
  if (xs.size() == 1) return xs[0];
  z3::expr_vector v(ctx);
  for (const z3::expr& x : xs) v.push_back(x);
  return z3::mk_or(v);
}

// Every selector the policy's network rules mention, for collecting the
// identity universe of the symbolic scope.
template <typename F>
void for_each_rule_selector(const policy::Policy& pol, F f) {
  for (const policy::AclRule& a : pol.acls) {
    for (const Selector& s : a.src) f(s);
    for (const policy::DstSelector& d : a.dst) f(d.target);
  }
  for (const policy::Grant& g : pol.grants) {
    for (const Selector& s : g.src) f(s);
    for (const Selector& s : g.dst) f(s);
  }
  for (const policy::Group& g : pol.groups) {
    for (const Selector& s : g.members) f(s);
  }
}

}  // namespace

Encoding::Encoding(z3::context& ctx, const policy::Policy& pol, const ir::Program& prog,
                   const Inventory& inv, Scope scope)
    : ctx_(ctx),
      pol_(pol),
      prog_(prog),
      inv_(inv),
      scope_(scope),
      v6_(ctx.bool_const("v6")),
      src4_(ctx.bv_const("src4", 32)),
      src6_(ctx.bv_const("src6", 128)),
      dst4_(ctx.bv_const("dst4", 32)),
      dst6_(ctx.bv_const("dst6", 128)),
      proto_(ctx.bv_const("proto", 8)),
      port_(ctx.bv_const("port", 16)) {
  IPSetBuilder every;
  for (const Device& d : inv_.devices) {
    for (const Addr& a : d.addresses) every.add(a);
  }
  inventory_addresses_ = std::move(every).build();
  if (scope_ == Scope::Symbolic) {
    std::set<std::string> users, tags, domains;
    for (const Device& d : inv_.devices) {
      if (!d.tagged() && !d.user.empty()) users.insert(normalize_login(d.user));
      for (const std::string& t : d.tags) tags.insert(t);
    }
    for (const User& u : inv_.users) users.insert(normalize_login(u.login()));
    for (const policy::TagOwner& t : pol_.tag_owners) tags.insert(t.name.text);
    for_each_rule_selector(pol_, [&](const Selector& s) {
      if (s.kind == SelectorKind::Tag) tags.insert(s.name);
      if (s.kind == SelectorKind::UserDomain) domains.insert(normalize_login(s.name));
      // "name@" is a pattern over users, not a user of its own.
      if (s.kind == SelectorKind::User && !s.name.empty() && s.name.back() != '@') {
        users.insert(normalize_login(s.name));
      }
    });
    users_.assign(users.begin(), users.end());
    tags_.assign(tags.begin(), tags.end());
    domains_.assign(domains.begin(), domains.end());
    // One untagged device per known user: login selectors resolve against
    // it with the inventory's own rules (aliases, "name@", roles).
    people_.users = inv_.users;
    for (const std::string& u : users_) {
      Device d;
      d.hostname = "user:" + u;
      d.user = u;
      people_.devices.push_back(std::move(d));
    }
    people_.reindex();
  }

  // Rule matches, then the decision formulas with running prefixes so that
  // the formula stays linear in the number of rules.
  matches_.reserve(prog_.rules.size());
  for (const ir::Rule& r : prog_.rules) {
    if (r.is_cap()) {
      matches_.push_back(ctx_.bool_val(false));
      continue;
    }
    std::vector<z3::expr> conj;
    conj.push_back(proto_in(r.protocols()));
    if (!r.via.empty() && scope_ == Scope::Nodes) {
      IPSet routes;
      for (const Device& d : inv_.devices) {
        bool carries = false;
        for (const std::string& t : r.via) carries = carries || d.has_tag(t);
        if (!carries) continue;
        for (const Addr& a : d.addresses) routes.add(a);
        for (const Prefix& p : d.subnet_routes()) routes.add(p);
        if (d.is_exit_node()) routes |= IPSet::internet();
      }
      conj.push_back(in_set(routes, Side::Dst));
    }
    std::vector<z3::expr> groups;
    for (const ir::DstGroup& g : r.dst) groups.push_back(dst_group(r, g));
    conj.push_back(any_of(ctx_, groups));
    z3::expr_vector v(ctx_);
    for (const z3::expr& c : conj) v.push_back(c);
    matches_.push_back(z3::mk_and(v).simplify());
  }

  decides_.assign(prog_.rules.size(), ctx_.bool_val(false));
  if (!prog_.has_deny) {
    z3::expr earlier = ctx_.bool_val(false);
    for (size_t i = 0; i < prog_.rules.size(); ++i) {
      decides_[i] = matches_[i] && !earlier;
      earlier = earlier || matches_[i];
    }
    allowed_ = earlier;
    return;
  }
  z3::expr earlier_acl = ctx_.bool_val(false);
  std::vector<z3::expr> allow;
  for (size_t i = 0; i < prog_.rules.size(); ++i) {
    const ir::Rule& r = prog_.rules[i];
    if (r.origin != ir::Origin::Acl) continue;
    decides_[i] = matches_[i] && !earlier_acl;
    if (r.action == ir::Action::Accept) allow.push_back(decides_[i]);
    earlier_acl = earlier_acl || matches_[i];
  }
  z3::expr earlier_grant = ctx_.bool_val(false);
  for (size_t i = 0; i < prog_.rules.size(); ++i) {
    const ir::Rule& r = prog_.rules[i];
    if (r.origin == ir::Origin::Acl || r.action != ir::Action::Accept) continue;
    decides_[i] = !earlier_acl && matches_[i] && !earlier_grant;
    allow.push_back(decides_[i]);
    earlier_grant = earlier_grant || matches_[i];
  }
  allowed_ = any_of(ctx_, allow);
}

const z3::expr& Encoding::addr(Side s, Family f) const {
  if (s == Side::Src) return f == Family::V4 ? src4_ : src6_;
  return f == Family::V4 ? dst4_ : dst6_;
}

z3::expr Encoding::matches(size_t i) const { return matches_.at(i); }
z3::expr Encoding::allowed() const { return *allowed_; }
z3::expr Encoding::decides(size_t i) const { return decides_.at(i); }

z3::expr Encoding::ident(Side s, const std::string& what) const {
  return ctx_.bool_const((std::string(side_name(s)) + "." + what).c_str());
}

z3::expr Encoding::domain() const {
  if (scope_ == Scope::Nodes) return ctx_.bool_val(true);
  z3::expr_vector all(ctx_);
  for (Side s : {Side::Src, Side::Dst}) {
    z3::expr dev = ident(s, "device");
    z3::expr tagged = ident(s, "tagged");
    all.push_back(z3::implies(dev, in_set(IPSet::tailnet_all(), s)));
    // An existing device's address is that device (with any identity).
    all.push_back(z3::implies(in_set(inventory_addresses_, s), dev));
    all.push_back(z3::implies(tagged, dev));
    for (const std::string& t : tags_) all.push_back(z3::implies(ident(s, t), tagged));
    // At most one owner; an owner means an untagged device.
    z3::expr earlier = ctx_.bool_val(false);
    for (const std::string& u : users_) {
      z3::expr x = ident(s, "user=" + u);
      all.push_back(z3::implies(x, dev && !tagged && !earlier));
      earlier = earlier || x;
    }
    // A new user (none of the known ones) has at most one domain.
    for (const std::string& d : domains_) {
      z3::expr x = ident(s, "new-user@" + d);
      all.push_back(z3::implies(x, dev && !tagged && !earlier));
      earlier = earlier || x;
    }
  }
  return z3::mk_and(all);
}

z3::expr Encoding::prefix_test(const Prefix& p, Side s) const {
  const int width = family_bits(p.family());
  if (p.bits == 0) return ctx_.bool_val(true);
  const z3::expr& var = addr(s, p.family());
  u128 top = p.addr.value >> (width - p.bits);
  if (p.bits == width) return var == ctx_.bv_val(u128_decimal(p.addr.value).c_str(), width);
  return var.extract(width - 1, width - p.bits) ==
         ctx_.bv_val(u128_decimal(top).c_str(), static_cast<unsigned>(p.bits));
}

z3::expr Encoding::in_set(const IPSet& set, Side s) const {
  std::vector<z3::expr> v4, v6;
  for (const Prefix& p : set.to_prefixes()) {
    (p.family() == Family::V4 ? v4 : v6).push_back(prefix_test(p, s));
  }
  std::vector<z3::expr> out;
  if (!v4.empty()) out.push_back(!v6_ && any_of(ctx_, v4));
  if (!v6.empty()) out.push_back(v6_ && any_of(ctx_, v6));
  return any_of(ctx_, out);
}

z3::expr Encoding::port_in(std::span<const PortRange> ports) const {
  PortSet merged;
  for (const PortRange& r : ports) merged.add(r);
  if (merged.is_all()) return ctx_.bool_val(true);
  std::vector<z3::expr> out;
  for (const PortRange& r : merged.ranges()) {
    if (r.first == r.last) {
      out.push_back(port_ == ctx_.bv_val(r.first, 16));
    } else {
      out.push_back(z3::ule(ctx_.bv_val(r.first, 16), port_) &&
                    z3::ule(port_, ctx_.bv_val(r.last, 16)));
    }
  }
  return any_of(ctx_, out);
}

z3::expr Encoding::proto_in(const ProtoSet& protos) const {
  if (protos.count() == 256) return ctx_.bool_val(true);
  std::vector<z3::expr> out;
  for (int p : protos) out.push_back(proto_ == ctx_.bv_val(p, 8));
  return any_of(ctx_, out);
}

z3::expr Encoding::is_device(Side s) const {
  if (scope_ == Scope::Symbolic) return ident(s, "device");
  return in_set(inventory_addresses_, s);
}

z3::expr Encoding::symbolic_identity_selects(const Selector& sel, Side s) const {
  z3::expr dev = ident(s, "device");
  z3::expr tagged = ident(s, "tagged");
  z3::expr person = dev && !tagged;
  // The known users for which `pred(login)` holds.
  auto users_where = [&](auto pred) {
    std::vector<z3::expr> xs;
    for (size_t i = 0; i < users_.size(); ++i) {
      if (pred(i)) xs.push_back(ident(s, "user=" + users_[i]));
    }
    return person && any_of(ctx_, xs);
  };
  // people_.devices[i] is users_[i]'s only device, so the devices a login
  // owns are the users it names (sorted, as users_where would visit them),
  // found without testing every user.
  auto owned_by = [&](const std::string& login) {
    std::vector<z3::expr> xs;
    for (size_t i : people_.devices_of_login(login)) xs.push_back(ident(s, "user=" + users_[i]));
    return person && any_of(ctx_, xs);
  };
  switch (sel.kind) {
    case SelectorKind::User:
      return owned_by(sel.name);
    case SelectorKind::UserDomain: {
      std::string want = normalize_login(sel.name);
      z3::expr known = users_where([&](size_t i) { return domain_of(users_[i]) == want; });
      // A new user of that domain may join.
      return known || (person && ident(s, "new-user@" + want));
    }
    case SelectorKind::Tag:
      return tagged && ident(s, sel.name);
    case SelectorKind::Autogroup:
      if (sel.name == "member" || sel.name == "members") return person;
      if (sel.name == "tagged") return tagged;
      if (is_role_autogroup(sel.name)) {
        return users_where(
            [&](size_t i) { return people_.owner_role(people_.devices[i]) == sel.name; });
      }
      return ctx_.bool_val(false);
    case SelectorKind::Group: {
      const policy::Group* g = pol_.find_group(sel.name);
      if (!g) return ctx_.bool_val(false);
      std::vector<z3::expr> xs;
      for (const Selector& m : g->members) {
        if (m.kind == SelectorKind::Group) continue;
        if (m.kind == SelectorKind::Name) {
          // A device as a member: that device, whatever its identity.
          const Device* d = inv_.find_device(m.name);
          if (d) xs.push_back(in_set(d->address_set(), s));
          continue;
        }
        xs.push_back(symbolic_identity_selects(m, s));
      }
      return any_of(ctx_, xs);
    }
    default:
      return ctx_.bool_val(false);
  }
}

z3::expr Encoding::selects(const Selector& sel, Side s) const {
  Resolver res(pol_, inv_);
  switch (sel.kind) {
    case SelectorKind::Wildcard:
      if (s == Side::Dst) return ctx_.bool_val(true);
      {
        IPSet a = IPSet::tailnet_all();
        for (const Prefix& r : inv_.approved_subnet_routes()) a.add(r);
        return in_set(a, s);
      }
    case SelectorKind::Prefix:
    case SelectorKind::Range:
    case SelectorKind::IPSet:
      return in_set(res.address_set(sel), s);
    case SelectorKind::Autogroup:
      if (sel.name == "self") return ctx_.bool_val(false);
      if (sel.name == "internet") return in_set(IPSet::internet(), s);
      if (sel.name == "danger-all") return in_set(IPSet::all_addresses(), s);
      break;
    case SelectorKind::Name:
      if (pol_.find_host(sel.name)) return in_set(res.address_set(sel), s);
      {
        // A device name means that device's addresses in both scopes.
        const Device* d = inv_.find_device(sel.name);
        return d ? in_set(d->address_set(), s) : ctx_.bool_val(false);
      }
    default:
      break;
  }
  if (scope_ == Scope::Symbolic) return symbolic_identity_selects(sel, s);
  IPSetBuilder b;
  for (size_t i : res.devices(sel)) {
    for (const Addr& a : inv_.devices[i].addresses) b.add(a);
  }
  return in_set(std::move(b).build(), s);
}

z3::expr Encoding::rule_sources(const ir::Rule& r) const {
  if (scope_ == Scope::Nodes || r.origin == ir::Origin::Default) return in_set(r.src, Side::Src);
  const std::vector<Selector>* src = nullptr;
  if (r.origin == ir::Origin::Acl && r.index < pol_.acls.size()) src = &pol_.acls[r.index].src;
  if (r.origin == ir::Origin::Grant && r.index < pol_.grants.size()) {
    src = &pol_.grants[r.index].src;
  }
  if (!src) return in_set(r.src, Side::Src);
  std::vector<z3::expr> xs;
  for (const Selector& s : *src) xs.push_back(selects(s, Side::Src));
  return any_of(ctx_, xs);
}

z3::expr Encoding::self_match(const ir::Rule& r, size_t) const {
  if (scope_ == Scope::Symbolic) {
    // Both ends untagged devices of one user, the source admitted by the
    // rule. Two users the policy does not know may or may not be the same
    // person: a free variable decides.
    z3::expr src_person = ident(Side::Src, "device") && !ident(Side::Src, "tagged");
    z3::expr dst_person = ident(Side::Dst, "device") && !ident(Side::Dst, "tagged");
    std::vector<z3::expr> same;
    z3::expr src_known = ctx_.bool_val(false), dst_known = ctx_.bool_val(false);
    for (const std::string& u : users_) {
      z3::expr a = ident(Side::Src, "user=" + u), b = ident(Side::Dst, "user=" + u);
      same.push_back(a && b);
      src_known = src_known || a;
      dst_known = dst_known || b;
    }
    same.push_back(!src_known && !dst_known && ctx_.bool_const("same-new-user"));
    return src_person && dst_person && any_of(ctx_, same) && rule_sources(r);
  }
  // Per owner: the destination is one of the owner's untagged devices and
  // the source one of the owner's devices the rule admits.
  std::map<std::string, size_t> first_device;
  for (size_t i = 0; i < inv_.devices.size(); ++i) {
    const Device& d = inv_.devices[i];
    if (d.tagged() || d.user.empty()) continue;
    first_device.emplace(normalize_login(d.user), i);
  }
  std::vector<z3::expr> xs;
  for (const auto& [owner, dev] : first_device) {
    IPSet dsts;
    for (size_t i : inv_.devices_of(owner)) dsts |= inv_.devices[i].address_set();
    IPSet srcs = ir::self_sources(r, inv_, dev);
    if (srcs.empty()) continue;
    xs.push_back(in_set(dsts, Side::Dst) && in_set(srcs, Side::Src));
  }
  return any_of(ctx_, xs);
}

z3::expr Encoding::dst_group(const ir::Rule& r, const ir::DstGroup& g) const {
  z3::expr ports = port_in(g.ports);
  if (g.self) return ports && self_match(r, r.id);
  if (scope_ == Scope::Symbolic) {
    const Selector* sel = nullptr;
    if (r.origin == ir::Origin::Acl && r.index < pol_.acls.size()) {
      for (const policy::DstSelector& d : pol_.acls[r.index].dst) {
        if (d.pos.offset == g.pos.offset && d.pos.line == g.pos.line) sel = &d.target;
      }
    } else if (r.origin == ir::Origin::Grant && r.index < pol_.grants.size()) {
      for (const Selector& d : pol_.grants[r.index].dst) {
        if (d.pos.offset == g.pos.offset && d.pos.line == g.pos.line) sel = &d;
      }
    }
    if (sel) return ports && rule_sources(r) && selects(*sel, Side::Dst);
  }
  IPSet dst;
  for (const ir::Target& t : g.targets) dst |= t.addrs;
  return ports && rule_sources(r) && in_set(dst, Side::Dst);
}

z3::expr Encoding::has_identity_of(Side s, const Device* d) const {
  if (scope_ == Scope::Nodes) return ctx_.bool_val(true);
  z3::expr_vector all(ctx_);
  all.push_back(d ? ident(s, "device") : !ident(s, "device"));
  if (!d) return z3::mk_and(all);
  all.push_back(d->tagged() ? ident(s, "tagged") : !ident(s, "tagged"));
  for (const std::string& t : tags_) {
    all.push_back(d->has_tag(t) ? ident(s, t) : !ident(s, t));
  }
  std::string owner = d->tagged() ? "" : normalize_login(d->user);
  for (const std::string& u : users_) {
    all.push_back(u == owner ? ident(s, "user=" + u) : !ident(s, "user=" + u));
  }
  for (const std::string& dom : domains_) all.push_back(!ident(s, "new-user@" + dom));
  return z3::mk_and(all);
}

z3::expr Encoding::is_flow(const ir::Flow& f) const {
  auto value = [&](const Addr& a, Side s) {
    int w = family_bits(a.family);
    return addr(s, a.family) == ctx_.bv_val(u128_decimal(a.value).c_str(), static_cast<unsigned>(w));
  };
  return (f.src.is_v6() ? v6_ : !v6_) && value(f.src, Side::Src) && value(f.dst, Side::Dst) &&
         proto_ == ctx_.bv_val(f.proto, 8) && port_ == ctx_.bv_val(f.port, 16);
}

ir::Flow Encoding::flow(const z3::model& m) const {
  ir::Flow f;
  bool v6 = m.eval(v6_, true).is_true();
  Family fam = v6 ? Family::V6 : Family::V4;
  auto read = [&](const z3::expr& e) { return parse_decimal(m.eval(e, true).get_decimal_string(0)); };
  f.src = Addr(fam, read(addr(Side::Src, fam)));
  f.dst = Addr(fam, read(addr(Side::Dst, fam)));
  f.proto = static_cast<uint8_t>(read(proto_));
  f.port = static_cast<uint16_t>(read(port_));
  return f;
}

Identity Encoding::identity(const z3::model& m, Side s) const {
  Identity id;
  ir::Flow f = flow(m);
  const Addr& a = s == Side::Src ? f.src : f.dst;
  int at = inv_.device_at(a);
  if (at >= 0) id.name = inv_.devices[static_cast<size_t>(at)].hostname;
  if (scope_ == Scope::Nodes) {
    id.device = at >= 0;
    if (at >= 0) {
      const Device& d = inv_.devices[static_cast<size_t>(at)];
      id.tagged = d.tagged();
      id.tags = d.tags;
      std::sort(id.tags.begin(), id.tags.end());
      if (!d.tagged()) id.user = d.user;
    }
    return id;
  }
  auto is_true = [&](const z3::expr& e) { return m.eval(e, true).is_true(); };
  id.device = is_true(ident(s, "device"));
  id.tagged = id.device && is_true(ident(s, "tagged"));
  for (const std::string& t : tags_) {
    if (id.tagged && is_true(ident(s, t))) id.tags.push_back(t);
  }
  if (id.device && !id.tagged) {
    for (const std::string& u : users_) {
      if (is_true(ident(s, "user=" + u))) id.user = u;
    }
    if (id.user.empty()) {
      id.new_user = true;
      id.user = "new-user@example.invalid";
      for (const std::string& d : domains_) {
        if (is_true(ident(s, "new-user@" + d))) id.user = "new-user@" + d;
      }
    }
  }
  return id;
}

z3::solver make_solver(z3::context& ctx, unsigned rlimit) {
  z3::solver s(ctx, "QF_BV");
  z3::params p(ctx);
  p.set("random_seed", 7u);
  p.set("rlimit", rlimit);
  s.set(p);
  return s;
}

Answer check(z3::solver& s, const z3::expr_vector& assumptions) {
  switch (s.check(assumptions)) {
    case z3::sat:
      return Answer::Sat;
    case z3::unsat:
      return Answer::Unsat;
    default:
      return Answer::Unknown;
  }
}

Answer check(z3::solver& s) {
  z3::expr_vector none(s.ctx());
  return check(s, none);
}

}  // namespace aclc::verify
