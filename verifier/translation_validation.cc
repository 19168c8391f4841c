#include "verifier/translation_validation.h"

namespace aclc::verify {
namespace {

z3::expr any_of(z3::context& ctx, const z3::expr_vector& xs) {
  if (xs.empty()) return ctx.bool_val(false);
  return xs.size() == 1 ? xs[0] : z3::mk_or(xs);
}

// What a device enforces, as the table builder defines it (table_build.h):
// its addresses, approved subnet routes, and the internet on an exit node.
// Restated here from the Device, not called, so that the verifier does not
// link the back end it checks.
IPSet enforced(const Device& d) {
  IPSet out = d.address_set();
  for (const Prefix& p : d.subnet_routes()) out.add(p);
  if (d.is_exit_node()) out |= IPSet::internet();
  return out;
}

const char* proto_name(uint8_t p) {
  switch (p) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "ipv6-icmp";
    case 132: return "sctp";
    default: return nullptr;
  }
}

}  // namespace

TranslationValidator::TranslationValidator(const Encoding& enc, unsigned rlimit)
    : enc_(enc), eval_(enc.program(), enc.inventory()), rlimit_(rlimit) {}

// The policy's verdict on flows to device d, over the rules that can match
// such a flow. A rule matches a flow only if the flow's dst is in one of
// its targets (or, for autogroup:self, is an untagged device's address), so
// a rule none of whose targets overlaps what d enforces is false on every
// flow this query asks about, and leaving it out changes nothing. The
// combination is Encoding::allowed()'s: any accept when there are no deny
// rules; otherwise the first matching acl decides, and the grants only where
// no acl matches (evaluate.h).
z3::expr TranslationValidator::policy_for(const Device& d, const IPSet& enforced) const {
  z3::context& ctx = enc_.ctx();
  const ir::Program& prog = enc_.program();
  auto relevant = [&](const ir::Rule& r) {
    if (r.is_cap()) return false;
    // A via rule is enforced only by the routers it names: on any other
    // device it admits nothing, even where a named router routes the same
    // prefix (Tailscale sends it only to those routers).
    if (!r.via.empty()) {
      bool carries = false;
      for (const std::string& t : r.via) carries = carries || d.has_tag(t);
      if (!carries) return false;
    }
    for (const ir::DstGroup& g : r.dst) {
      if (g.self && !d.tagged()) return true;
      for (const ir::Target& t : g.targets)
        if (t.addrs.overlaps(enforced)) return true;
    }
    return false;
  };
  if (!prog.has_deny) {
    z3::expr_vector any(ctx);
    for (size_t i = 0; i < prog.rules.size(); ++i)
      if (prog.rules[i].action == ir::Action::Accept && relevant(prog.rules[i]))
        any.push_back(enc_.matches(i));
    return any_of(ctx, any);
  }
  // First match over the acls, from the last one back: grants decide only
  // when no acl matched.
  z3::expr_vector grants(ctx);
  for (size_t i = 0; i < prog.rules.size(); ++i) {
    const ir::Rule& r = prog.rules[i];
    if (r.origin != ir::Origin::Acl && r.action == ir::Action::Accept && relevant(r))
      grants.push_back(enc_.matches(i));
  }
  z3::expr verdict = any_of(ctx, grants);
  for (size_t i = prog.rules.size(); i-- > 0;) {
    const ir::Rule& r = prog.rules[i];
    if (r.origin != ir::Origin::Acl || !relevant(r)) continue;
    verdict = z3::ite(enc_.matches(i), ctx.bool_val(r.action == ir::Action::Accept), verdict);
  }
  return verdict;
}

z3::expr TranslationValidator::table_formula(const std::vector<table::Zone>& zones) const {
  z3::context& ctx = enc_.ctx();
  z3::expr_vector zs(ctx);
  for (const table::Zone& z : zones) {
    z3::expr_vector cs(ctx);
    for (const table::ProtoClass& c : z.classes) {
      z3::expr_vector cells(ctx);
      for (const table::Cell& cell : c.cells) {
        PortRange r = cell.ports;
        cells.push_back(enc_.port_in(std::span<const PortRange>(&r, 1)) &&
                        enc_.in_set(cell.sources, Side::Src));
      }
      cs.push_back(enc_.proto_in(c.protos) && any_of(ctx, cells));
    }
    zs.push_back(enc_.in_set(z.dsts, Side::Dst) && any_of(ctx, cs));
  }
  return any_of(ctx, zs);
}

Validation TranslationValidator::validate(size_t device, const std::vector<table::Zone>& zones) {
  const Device& d = enc_.inventory().devices.at(device);
  IPSet where = enforced(d);
  // A fresh solver per device: one small query preprocesses and bit-blasts
  // better than a push/pop scope over the whole policy.
  z3::solver solver = make_solver(enc_.ctx(), rlimit_);
  solver.add(enc_.domain());
  z3::expr policy = enc_.in_set(where, Side::Dst) && policy_for(d, where);
  solver.add(policy != table_formula(zones));
  Validation v;
  v.answer = check(solver);
  if (v.answer == Answer::Sat) {
    Mismatch m;
    m.flow = enc_.flow(solver.get_model());
    ir::Decision dec = eval_.decide(m.flow);
    m.policy_allows = dec.verdict == ir::Verdict::Allow && where.contains(m.flow.dst);
    m.deciding = dec.rule;
    m.table_allows = zones_allow(zones, m.flow);
    v.mismatch = m;
  }
  return v;
}

bool TranslationValidator::zones_allow(const std::vector<table::Zone>& zones, const ir::Flow& f) {
  if (f.src.family != f.dst.family) return false;
  for (const table::Zone& z : zones) {
    if (!z.dsts.contains(f.dst)) continue;
    for (const table::ProtoClass& c : z.classes) {
      if (!c.protos.contains(f.proto)) continue;
      for (const table::Cell& cell : c.cells)
        if (cell.ports.contains(f.port)) return cell.sources.contains(f.src);
      return false;
    }
    return false;
  }
  return false;
}

Equivalence prove_equivalent(const Encoding& first, const Encoding& second, const IPSet& dsts,
                             bool except_port_zero, unsigned rlimit) {
  z3::solver s = make_solver(first.ctx(), rlimit);
  s.add(first.domain());
  s.add(second.domain());
  s.add(first.in_set(dsts, Side::Dst));
  s.add(first.allowed() != second.allowed());
  if (except_port_zero) s.add(first.port() != first.ctx().bv_val(0, 16));
  Equivalence e;
  e.answer = check(s);
  if (e.answer == Answer::Sat) {
    ir::Flow f = first.flow(s.get_model());
    e.witness = f;
    ir::Evaluator a(first.program(), first.inventory()), b(second.program(), second.inventory());
    e.first_allows = a.decide(f).verdict == ir::Verdict::Allow;
    e.second_allows = b.decide(f).verdict == ir::Verdict::Allow;
  }
  return e;
}

std::string describe_flow(const ir::Flow& f) {
  const char* name = proto_name(f.proto);
  std::string proto = name ? name : "proto " + std::to_string(f.proto);
  std::string dst = f.dst.is_v6() ? "[" + to_string(f.dst) + "]" : to_string(f.dst);
  return proto + " " + to_string(f.src) + " -> " + dst + ":" + std::to_string(f.port);
}

std::string describe_mismatch(const std::string& name, const Mismatch& m) {
  std::string s = "compiler bug: the table of " + name + " disagrees with the policy on " +
                  describe_flow(m.flow) + ": the policy ";
  s += m.policy_allows ? "allows it" : "denies it";
  if (m.deciding) s += " (" + m.deciding->origin_name() + ")";
  s += ", the table ";
  s += m.table_allows ? "allows it" : "denies it";
  return s;
}

}  // namespace aclc::verify
