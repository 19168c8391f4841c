#include "verifier/explain.h"

#include "compiler/front/ports.h"
#include "compiler/front/proto.h"
#include "compiler/front/resolve.h"
#include "compiler/front/selector.h"

namespace aclc::verify {

namespace {

std::string proto_text(uint8_t p) {
  const char* name = policy::proto_name(p);
  return name ? name : "proto " + std::to_string(p);
}

// The addresses a selector names, in order, first address of each device.
std::optional<std::vector<Addr>> addresses_of(const std::string& text, const policy::Policy& pol,
                                              const Inventory& inv, std::string* error) {
  auto sel = policy::classify_selector(policy::trim_space(text), {}, error);
  if (!sel) return std::nullopt;
  Resolver res(pol, inv);
  std::vector<Addr> out;
  if (sel->kind == policy::SelectorKind::Name && !pol.find_host(sel->name) &&
      !inv.find_device(sel->name)) {
    *error = "no host or device named \"" + sel->name + "\"";
    return std::nullopt;
  }
  if (sel->kind == policy::SelectorKind::Prefix && sel->prefix.is_single_addr()) {
    out.push_back(sel->prefix.addr);
    return out;
  }
  if (sel->kind == policy::SelectorKind::Name && pol.find_host(sel->name)) {
    out.push_back(pol.find_host(sel->name)->prefix.addr);
    return out;
  }
  for (size_t i : res.devices(*sel)) {
    for (const Addr& a : inv.devices[i].addresses) out.push_back(a);
  }
  if (out.empty()) {
    *error = "\"" + text + "\" names no device or single address" +
             (inv.devices.empty() ? " (pass --nodes DEVICES.json)" : "");
    return std::nullopt;
  }
  return out;
}

RuleCheck check_rule(const ir::Rule& r, const ir::Flow& f, const ir::Evaluator& ev,
                     const Inventory& inv) {
  RuleCheck c;
  c.rule = r.id;
  c.matches = ev.matches(r, f);
  c.proto = r.protocols().contains(f.proto);
  c.src = r.src.contains(f.src);
  for (const ir::DstGroup& g : r.dst) {
    bool here = false;
    if (g.self) {
      int owner = inv.device_at(f.dst);
      here = owner >= 0 && !inv.devices[static_cast<size_t>(owner)].tagged() &&
             ir::self_sources(r, inv, static_cast<size_t>(owner)).contains(f.src);
    } else {
      for (const ir::Target& t : g.targets) here = here || t.addrs.contains(f.dst);
    }
    if (!here) continue;
    c.dst = true;
    for (const PortRange& p : g.ports) c.port = c.port || p.contains(f.port);
  }
  return c;
}

}  // namespace

bool Explanation::allowed_all() const {
  for (const FlowExplanation& f : flows) {
    if (f.verdict != ir::Verdict::Allow) return false;
  }
  return !flows.empty();
}

std::optional<Explanation> explain(const ExplainRequest& req, const policy::Policy& pol,
                                   const ir::Program& prog, const Inventory& inv,
                                   const std::string& where, Diagnostics& diags) {
  std::string err;
  auto srcs = addresses_of(req.src, pol, inv, &err);
  if (!srcs) {
    diags.error(where, {}, "--src: " + err, "bad-explain");
    return std::nullopt;
  }
  auto hp = policy::split_host_ports(req.dst, &err);
  if (!hp) {
    diags.error(where, {}, "--dst \"" + req.dst + "\": " + err, "bad-explain");
    return std::nullopt;
  }
  auto port = policy::parse_single_port(hp->ports);
  if (!port) {
    diags.error(where, {}, "--dst \"" + req.dst + "\": the port must be one number 0-65535",
                "bad-explain");
    return std::nullopt;
  }
  auto dsts = addresses_of(std::string(hp->host), pol, inv, &err);
  if (!dsts) {
    diags.error(where, {}, "--dst: " + err, "bad-explain");
    return std::nullopt;
  }
  uint8_t proto = 6;
  if (req.proto) {
    auto p = policy::parse_proto_number(*req.proto, &err);
    if (!p) {
      diags.error(where, {}, "--proto: " + err, "bad-explain");
      return std::nullopt;
    }
    proto = *p;
  }
  ir::Evaluator ev(prog, inv);
  Explanation out;
  for (const Addr& s : *srcs) {
    for (const Addr& d : *dsts) {
      if (s.family != d.family) continue;
      FlowExplanation fe;
      fe.flow = ir::Flow{s, d, proto, *port};
      int si = inv.device_at(s), di = inv.device_at(d);
      if (si >= 0) fe.src_name = inv.devices[static_cast<size_t>(si)].hostname;
      if (di >= 0) fe.dst_name = inv.devices[static_cast<size_t>(di)].hostname;
      ir::Decision dec = ev.decide(fe.flow);
      fe.verdict = dec.verdict;
      if (dec.rule) fe.deciding = dec.rule->id;
      for (const ir::Rule& r : prog.rules) {
        if (r.is_cap()) continue;
        RuleCheck c = check_rule(r, fe.flow, ev, inv);
        if (c.matches) {
          fe.matching.push_back(c);
          if (fe.verdict == ir::Verdict::Deny && r.action == ir::Action::Deny &&
              fe.deciding == r.id) {
            fe.near_misses.push_back(c);
          }
          continue;
        }
        // An accept rule that fails in some but not all parts is one a
        // change could make match.
        int parts = c.src + c.dst + c.port + c.proto;
        if (fe.verdict == ir::Verdict::Deny && r.action == ir::Action::Accept && parts >= 2) {
          fe.near_misses.push_back(c);
        }
      }
      out.flows.push_back(std::move(fe));
    }
  }
  if (out.flows.empty()) {
    diags.error(where, {}, "--src and --dst have no addresses of the same family", "bad-explain");
    return std::nullopt;
  }
  return out;
}

std::string render_explanation(const Explanation& e, const policy::Policy& pol,
                               const ir::Program& prog) {
  std::string out;
  auto rule_text = [&](size_t id) {
    const ir::Rule& r = prog.rules[id];
    return r.origin_name() + (r.action == ir::Action::Deny ? " (deny)" : "") + " at " +
           format_location(pol.file, r.pos);
  };
  auto end = [](const std::string& name, const Addr& a) {
    return name.empty() ? to_string(a) : name + " (" + to_string(a) + ")";
  };
  for (const FlowExplanation& f : e.flows) {
    out += end(f.src_name, f.flow.src) + " -> " + end(f.dst_name, f.flow.dst) + " " +
           proto_text(f.flow.proto) + "/" + std::to_string(f.flow.port) + ": " +
           (f.verdict == ir::Verdict::Allow ? "ALLOWED" : "DENIED") + "\n";
    if (f.deciding) {
      out += "  decided by " + rule_text(*f.deciding) + "\n";
    } else {
      out += "  no rule matches: denied by default\n";
    }
    for (const RuleCheck& c : f.matching) {
      if (f.deciding && c.rule == *f.deciding) continue;
      out += "  also matches " + rule_text(c.rule) + "\n";
    }
    if (f.verdict == ir::Verdict::Deny) {
      for (const RuleCheck& c : f.near_misses) {
        if (c.matches) {
          out += "  to allow it, change " + rule_text(c.rule) +
                 ": it denies this flow before any accept\n";
          continue;
        }
        std::vector<std::string> miss;
        if (!c.src) miss.push_back("its src does not include " + to_string(f.flow.src));
        if (!c.dst) miss.push_back("its dst does not include " + to_string(f.flow.dst));
        if (c.dst && !c.port) miss.push_back("its ports for this dst exclude " + std::to_string(f.flow.port));
        if (!c.proto) miss.push_back("its protocols exclude " + proto_text(f.flow.proto));
        std::string why;
        for (const std::string& m : miss) why += (why.empty() ? "" : "; ") + m;
        // Under first-match order an accept after the deciding deny must
        // also move.
        const ir::Rule& r = prog.rules[c.rule];
        if (f.deciding && r.origin == ir::Origin::Acl &&
            prog.rules[*f.deciding].origin == ir::Origin::Acl && c.rule > *f.deciding) {
          why += "; and it comes after " + prog.rules[*f.deciding].origin_name() + ", so move it before";
        } else if (f.deciding && r.origin != ir::Origin::Acl) {
          why += "; and a grant only decides where no acl matches";
        }
        out += "  would allow it if changed: " + rule_text(c.rule) + ": " + why + "\n";
      }
    }
  }
  return out;
}

}  // namespace aclc::verify
