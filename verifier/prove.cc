#include "verifier/prove.h"

#include <algorithm>
#include <memory>

#include "compiler/front/lower.h"
#include "compiler/front/proto.h"

namespace aclc::verify {

namespace {

std::string proto_text(uint8_t p) {
  const char* name = policy::proto_name(p);
  return name ? name : "proto " + std::to_string(p);
}

std::string describe_side(const Identity& id, const Addr& a, const Inventory& inv) {
  std::string addr = to_string(a);
  int at = inv.device_at(a);
  const Device* d = at < 0 ? nullptr : &inv.devices[static_cast<size_t>(at)];
  auto identity_text = [&]() {
    if (id.tagged) {
      std::string tags;
      for (const std::string& t : id.tags) tags += (tags.empty() ? "" : ",") + t;
      return "tagged " + (tags.empty() ? std::string("with a tag the policy does not name") : tags);
    }
    return std::string(id.new_user ? "owned by a new user " : "owned by ") + id.user;
  };
  if (!id.device) return addr;
  if (!d) return "a new device " + identity_text() + " (" + addr + ")";
  // An existing device: say so when the witness gives it another identity.
  std::vector<std::string> tags = d->tags;
  std::sort(tags.begin(), tags.end());
  bool same = id.tagged == d->tagged() &&
              (id.tagged ? tags == id.tags : normalize_login(d->user) == normalize_login(id.user));
  if (same) return d->hostname + " (" + addr + ")";
  return d->hostname + " (" + addr + ") if " + identity_text();
}

// The inventory with the witness's identities applied: the devices at its
// addresses retagged or re-owned, or new devices added.
Inventory witness_inventory(const Inventory& inv, const ir::Flow& f, const Identity& src,
                            const Identity& dst) {
  Inventory out = inv;
  auto apply = [&](const Addr& a, const Identity& id, const char* fresh_name) {
    if (!id.device) return;
    int at = out.device_at(a);
    Device* d = nullptr;
    if (at >= 0) {
      d = &out.devices[static_cast<size_t>(at)];
    } else {
      Device n;
      n.hostname = fresh_name;
      n.addresses.push_back(a);
      out.devices.push_back(std::move(n));
      out.reindex();
      d = &out.devices.back();
    }
    d->tags.clear();
    if (id.tagged) {
      d->tags = id.tags;
      if (d->tags.empty()) d->tags.push_back("tag:aclc-unnamed");
    } else {
      d->user = id.user;
    }
    out.reindex();
  };
  apply(f.src, src, "new-src-device");
  if (!(f.dst == f.src)) apply(f.dst, dst, "new-dst-device");
  return out;
}

class Prover {
 public:
  Prover(const policy::Policy& pol, const ir::Program& prog, const Inventory& inv,
         const ProveOptions& opt)
      : pol_(pol), prog_(prog), inv_(inv), opt_(opt) {}

  AssertionResult run(const Assertion& a) {
    AssertionResult r;
    r.assertion = &a;
    State& st = state(a.scope);
    for (const AssertDst& d : a.dsts) {
      z3::expr q = query(st, a, d);
      z3::expr lit = st.ctx->bool_const(("q" + std::to_string(next_lit_++)).c_str());
      st.solver->add(z3::implies(lit, q));
      z3::expr_vector base(*st.ctx);
      base.push_back(lit);
      Answer ans = check(*st.solver, base);
      if (ans == Answer::Unsat) continue;
      if (ans == Answer::Unknown) {
        r.outcome = Outcome::Unknown;
        r.detail = "undecided within the resource limit (" + st.solver->reason_unknown() +
                   ") for " + d.text;
        return r;
      }
      // Make the witness plausible: keep each preference that stays SAT.
      for (const z3::expr& p : preferences(st, a, d)) {
        base.push_back(p);
        if (check(*st.solver, base) != Answer::Sat) base.pop_back();
      }
      if (check(*st.solver, base) != Answer::Sat) {
        r.outcome = Outcome::Internal;
        r.detail = "the solver lost its own counterexample";
        return r;
      }
      z3::model m = st.solver->get_model();
      Counterexample c;
      c.flow = st.enc->flow(m);
      c.src = st.enc->identity(m, Side::Src);
      c.dst = st.enc->identity(m, Side::Dst);
      c.target = d.text;
      c.src_text = describe_side(c.src, c.flow.src, inv_);
      c.dst_text = describe_side(c.dst, c.flow.dst, inv_);
      std::string err = recheck(a, c);
      if (!err.empty()) {
        r.outcome = Outcome::Internal;
        r.detail = err;
        r.counterexample = std::move(c);
        return r;
      }
      r.outcome = Outcome::Fails;
      r.counterexample = std::move(c);
      return r;
    }
    return r;
  }

 private:
  struct State {
    std::unique_ptr<z3::context> ctx;
    std::unique_ptr<Encoding> enc;
    std::unique_ptr<z3::solver> solver;
  };

  State& state(Scope s) {
    State& st = s == Scope::Nodes ? nodes_ : symbolic_;
    if (!st.ctx) {
      st.ctx = std::make_unique<z3::context>();
      st.enc = std::make_unique<Encoding>(*st.ctx, pol_, prog_, inv_, s);
      st.solver = std::make_unique<z3::solver>(make_solver(*st.ctx, opt_.rlimit));
      st.solver->add(st.enc->domain());
    }
    return st;
  }

  z3::expr proto_constraint(const Encoding& enc, const Assertion& a) {
    if (a.proto) return enc.proto() == enc.ctx().bv_val(a.proto->number, 8);
    if (a.kind == AssertKind::Accept) return enc.proto() == enc.ctx().bv_val(6, 8);
    return enc.ctx().bool_val(true);
  }

  z3::expr query(State& st, const Assertion& a, const AssertDst& d) {
    const Encoding& enc = *st.enc;
    z3::expr flow = enc.selects(d.host, Side::Dst) && enc.port_in(d.ports) && proto_constraint(enc, a);
    switch (a.kind) {
      case AssertKind::Deny:
        return enc.selects(*a.src, Side::Src) && flow && enc.allowed();
      case AssertKind::Accept:
        return enc.selects(*a.src, Side::Src) && flow && !enc.allowed();
      case AssertKind::Only: {
        z3::expr permitted = enc.ctx().bool_val(false);
        for (const policy::Selector& s : a.only) permitted = permitted || enc.selects(s, Side::Src);
        return !permitted && flow && enc.allowed();
      }
    }
    return enc.ctx().bool_val(false);
  }

  // In priority order: existing devices with their own identity, TCP, the
  // first asserted port, distinct ends.
  std::vector<z3::expr> preferences(State& st, const Assertion& a, const AssertDst& d) {
    const Encoding& enc = *st.enc;
    z3::context& ctx = *st.ctx;
    std::vector<z3::expr> out;
    for (Side s : {Side::Src, Side::Dst}) {
      if (inv_.devices.empty()) continue;
      if (enc.scope() == Scope::Nodes) {
        out.push_back(enc.is_device(s));
        continue;
      }
      z3::expr_vector any(ctx);
      for (const Device& dev : inv_.devices) {
        any.push_back(enc.in_set(dev.address_set(), s) && enc.has_identity_of(s, &dev));
      }
      out.push_back(z3::mk_or(any));
    }
    if (!a.proto) out.push_back(enc.proto() == ctx.bv_val(6, 8));
    if (!d.ports.empty() && !d.ports.front().is_all()) {
      out.push_back(enc.port() == ctx.bv_val(d.ports.front().first, 16));
    }
    out.push_back(!enc.v6());
    out.push_back(enc.addr(Side::Src, Family::V4) != enc.addr(Side::Dst, Family::V4));
    return out;
  }

  // The reference evaluator must agree with the counterexample.
  std::string recheck(const Assertion& a, Counterexample& c) {
    const bool want_allow = a.kind != AssertKind::Accept;
    auto judge = [&](const ir::Program& prog, const Inventory& inv) -> std::string {
      ir::Evaluator ev(prog, inv);
      ir::Decision dec = ev.decide(c.flow);
      c.verdict = dec.verdict;
      if (dec.rule) c.deciding = dec.rule->id;
      c.rules.clear();
      if (dec.rule) c.rules.push_back(dec.rule->id);
      for (const ir::Rule* r : ev.matching_rules(c.flow)) {
        if (!dec.rule || r->id != dec.rule->id) c.rules.push_back(r->id);
      }
      if ((dec.verdict == ir::Verdict::Allow) != want_allow) {
        return "internal error: Z3 and the reference evaluator disagree on " + describe_flow(c) +
               " (Z3: " + (want_allow ? "allowed" : "denied") + ", evaluator: " +
               (want_allow ? "denied" : "allowed") + ")";
      }
      return "";
    };
    if (a.scope == Scope::Nodes) return judge(prog_, inv_);
    Inventory inv = witness_inventory(inv_, c.flow, c.src, c.dst);
    ir::Program prog = lower(pol_, inv);
    return judge(prog, inv);
  }

  const policy::Policy& pol_;
  const ir::Program& prog_;
  const Inventory& inv_;
  ProveOptions opt_;
  State nodes_, symbolic_;
  size_t next_lit_ = 0;
};

}  // namespace

std::string describe_flow(const Counterexample& c) {
  return to_string(c.flow.src) + " -> " + to_string(c.flow.dst) + " " + proto_text(c.flow.proto) +
         "/" + std::to_string(c.flow.port);
}

std::vector<AssertionResult> prove(const std::vector<Assertion>& assertions,
                                   const policy::Policy& pol, const ir::Program& prog,
                                   const Inventory& inv, const ProveOptions& options) {
  std::vector<AssertionResult> out;
  Prover p(pol, prog, inv, options);
  for (const Assertion& a : assertions) {
    try {
      out.push_back(p.run(a));
    } catch (const z3::exception& e) {
      AssertionResult r;
      r.assertion = &a;
      r.outcome = Outcome::Internal;
      r.detail = std::string("internal error: Z3: ") + e.msg();
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::string granting_rules(const Counterexample& c, const policy::Policy& pol,
                           const ir::Program& prog) {
  std::string out;
  for (size_t id : c.rules) {
    const ir::Rule& rule = prog.rules[id];
    if (rule.action != ir::Action::Accept) continue;
    if (c.verdict == ir::Verdict::Allow && c.deciding && id != *c.deciding) continue;
    out += (out.empty() ? "" : "; ") + rule.origin_name() + " at " +
           format_location(pol.file, rule.pos);
  }
  return out;
}

void to_diagnostics(const std::vector<AssertionResult>& results, const policy::Policy& pol,
                    const ir::Program& prog, Diagnostics& diags) {
  for (const AssertionResult& r : results) {
    const Assertion& a = *r.assertion;
    std::string scope = std::string(" [") + scope_name(a.scope) + "]";
    switch (r.outcome) {
      case Outcome::Holds:
        break;
      case Outcome::Unknown:
        diags.error(a.file, a.pos, "assertion not proved" + scope + ": " + a.describe() + ": " + r.detail,
                    "assertion-unknown", "unknown is a failure; simplify the policy or raise --rlimit");
        break;
      case Outcome::Internal:
        diags.error(a.file, a.pos, r.detail, "internal-error", "");
        break;
      case Outcome::Fails: {
        const Counterexample& c = *r.counterexample;
        std::string why, hint;
        if (c.deciding) {
          const ir::Rule& rule = prog.rules[*c.deciding];
          why = (c.verdict == ir::Verdict::Allow ? "allowed by " : "denied by ") +
                rule.origin_name() + " at " + format_location(pol.file, rule.pos);
        } else {
          why = "no rule allows it";
        }
        if (a.kind == AssertKind::Accept) {
          hint = c.deciding ? "the deny rule decides first; narrow it or add an accept before it"
                            : "no rule grants this flow: add one";
        } else {
          hint = "change the rule that grants it, or move a deny before it";
        }
        diags.error(a.file, a.pos,
                    "assertion fails" + scope + ": " + a.describe() + ": counterexample " +
                        c.src_text + " -> " + c.dst_text + " " + proto_text(c.flow.proto) + "/" +
                        std::to_string(c.flow.port) + " (" + c.target + "), " + why,
                    "assertion-failed", hint);
        break;
      }
    }
  }
}

std::vector<std::string> summary_lines(const std::vector<AssertionResult>& results) {
  std::vector<std::string> out;
  size_t held = 0;
  for (const AssertionResult& r : results) {
    const Assertion& a = *r.assertion;
    bool ok = r.outcome == Outcome::Holds;
    held += ok;
    out.push_back(std::string(ok ? "holds" : "FAILS") + " [" + scope_name(a.scope) + "] " +
                  a.describe() + " (" + format_location(a.file, a.pos) + ")");
  }
  out.push_back("assertions: " + std::to_string(held) + "/" + std::to_string(results.size()) +
                " hold");
  return out;
}

}  // namespace aclc::verify
