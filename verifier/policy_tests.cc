#include "verifier/policy_tests.h"

#include "compiler/ir/evaluate.h"

namespace aclc::verify {

namespace {

// Tailscale's failure line for one entry.
std::string tailscale_message(const std::string& entry, bool want_accept, bool got_accept) {
  return "address " + message_quote(entry) + ": want: " + (want_accept ? "Accept" : "Drop") +
         ", got: " + (got_accept ? "Accept" : "Drop");
}

std::string proto_label(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmpv6";
    default:
      return "proto " + std::to_string(p);
  }
}

std::string protos_label(const std::vector<uint8_t>& protos) {
  std::string out;
  for (size_t i = 0; i < protos.size(); ++i) {
    if (i) out += " or ";
    out += proto_label(protos[i]);
  }
  return out;
}

std::string addr_label(const Inventory& inv, const ir::TestAddr& a) {
  std::string out = to_string(a.addr);
  if (a.device >= 0) out += " (" + inv.devices[static_cast<size_t>(a.device)].hostname + ")";
  return out;
}

std::string position(const Pos& p) {
  return p.known() ? std::to_string(p.line) + ":" + std::to_string(p.col) : "";
}

std::string rule_label(const ir::Rule& r) {
  std::string out = r.origin_name();
  std::string at = position(r.pos);
  if (!at.empty()) out += " at line " + at;
  return out;
}

struct PairVerdict {
  bool allowed = false;
  const ir::Rule* rule = nullptr;  // allowing rule, or the deny that decided
};

PairVerdict evaluate(const ir::Evaluator& ev, const ir::TestAddr& s, const ir::TestAddr& d,
                     uint16_t port, const std::vector<uint8_t>& protos) {
  PairVerdict v;
  for (uint8_t p : protos) {
    ir::Decision dec = ev.decide(ir::Flow{s.addr, d.addr, p, port});
    if (dec.verdict == ir::Verdict::Allow) return {true, dec.rule};
    if (!v.rule) v.rule = dec.rule;
  }
  return v;
}

void run_entry(const ir::Evaluator& ev, const Inventory& inv, const ir::AclTestCase& t,
               const ir::AclTestEntry& e, AclTestResult& out) {
  AclTestFailure f;
  f.entry = e.text;
  f.pos = e.pos;
  f.want_accept = e.want_accept;
  f.port = e.port;
  if (!e.error.empty()) {
    // Tailscale cannot evaluate the entry and reports it as dropped.
    f.message = tailscale_message(e.text, e.want_accept, false);
    f.detail = e.error;
    out.failures.push_back(std::move(f));
    return;
  }
  size_t pairs = 0, contrary = 0;
  for (const ir::TestAddr& s : t.srcs) {
    for (const ir::TestAddr& d : e.dsts) {
      if (s.addr.family != d.addr.family) continue;
      ++pairs;
      PairVerdict v = evaluate(ev, s, d, e.port, t.protos);
      if (v.allowed == e.want_accept) continue;
      if (contrary++ == 0) {
        f.src = s;
        f.dst = d;
        f.rule = v.rule;
      }
    }
  }
  if (pairs == 0) {
    f.message = tailscale_message(e.text, e.want_accept, false);
    f.detail = "src " + message_quote(t.src) + " and " + message_quote(e.text) +
               " have no addresses of the same family";
    out.failures.push_back(std::move(f));
    return;
  }
  if (contrary == 0) return;
  std::string flow = addr_label(inv, *f.src) + " -> " + addr_label(inv, *f.dst) + " " +
                     protos_label(t.protos) + " port " + std::to_string(e.port);
  if (e.want_accept) {
    f.message = tailscale_message(e.text, true, false);
    f.detail = flow + " is dropped: " +
               (f.rule ? "denied by " + rule_label(*f.rule) : std::string("no rule allows it"));
  } else {
    f.message = tailscale_message(e.text, false, true);
    f.detail = flow + " is accepted by " + (f.rule ? rule_label(*f.rule) : std::string("?"));
  }
  if (contrary > 1) {
    f.detail += " (" + std::to_string(contrary) + " of " + std::to_string(pairs) +
                " address pairs contradict the test)";
  }
  out.failures.push_back(std::move(f));
}

}  // namespace

AclTestReport run_policy_tests(const std::vector<ir::AclTestCase>& tests,
                               const ir::Program& prog, const Inventory& inv) {
  ir::Evaluator ev(prog, inv);
  return run_tests<AclTestFailure>(tests, [&](const ir::AclTestCase& t, AclTestResult& r) {
    for (const ir::AclTestEntry& e : t.entries) run_entry(ev, inv, t, e, r);
  });
}

void to_diagnostics(const AclTestReport& report, const std::string& file, Diagnostics& out) {
  failures_to_diagnostics(report, "tests", "test-failed", file, out);
}

}  // namespace aclc::verify
