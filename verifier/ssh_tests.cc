#include "verifier/ssh_tests.h"

#include <map>

namespace aclc::verify {

namespace {

bool satisfies(ir::SshVerdict want, ir::SshVerdict got) {
  switch (want) {
    case ir::SshVerdict::Accept:
      return got != ir::SshVerdict::Deny;
    case ir::SshVerdict::Check:
      return got == ir::SshVerdict::Check;
    case ir::SshVerdict::Deny:
      return got == ir::SshVerdict::Deny;
  }
  return false;
}

// The dst address Tailscale names in a failure: the device's address of
// the src's family, else its first.
std::string dst_ip(const Device& d, const Addr& src) {
  for (const Addr& a : d.addresses) {
    if (a.family == src.family) return to_string(a);
  }
  return d.addresses.empty() ? "" : to_string(d.addresses.front());
}

class Runner {
 public:
  Runner(const ir::SshProgram& prog, const Inventory& inv)
      : prog_(prog), inv_(inv), compiler_(prog, inv) {}

  const std::vector<ir::NodeSshRule>& rules_of(size_t device) {
    auto it = cache_.find(device);
    if (it == cache_.end()) it = cache_.emplace(device, compiler_.for_node(device)).first;
    return it->second;
  }

  // `t` has no error of its own (run_tests handles those).
  void run(const ir::SshTestCase& t, SshTestResult& out) {
    auto fail = [&](Pos pos, std::string message, std::string detail) {
      SshTestFailure f;
      f.pos = pos;
      f.message = std::move(message);
      f.detail = std::move(detail);
      out.failures.push_back(std::move(f));
    };
    for (const ir::SshTestDst& d : t.dsts) {
      if (!d.error.empty()) fail(d.pos, "dst " + message_quote(d.text) + ": " + d.error, d.error);
    }
    for (const ir::SshTestAssertion& a : t.assertions) {
      if (!a.error.empty()) {
        fail(a.pos, "ssh user " + message_quote(a.user) + ": " + a.error, a.error);
        continue;
      }
      for (const ir::SshTestDst& d : t.dsts) {
        if (!d.error.empty()) continue;
        for (size_t dev : d.devices) check(t, a, d, dev, out);
      }
    }
  }

 private:
  void check(const ir::SshTestCase& t, const ir::SshTestAssertion& a, const ir::SshTestDst& d,
             size_t dev, SshTestResult& out) {
    const std::vector<ir::NodeSshRule>& rules = rules_of(dev);
    for (const ir::TestAddr& s : t.srcs) {
      ir::SshDecision dec = ir::decide_ssh(rules, s.addr, a.user);
      if (satisfies(a.want, dec.verdict)) continue;
      const Device& dst = inv_.devices[dev];
      SshTestFailure f;
      f.pos = a.pos;
      f.user = a.user;
      f.want = a.want;
      f.got = dec.verdict;
      f.src = s;
      f.dst_device = static_cast<int>(dev);
      f.message = "src " + message_quote(t.src) + " at " + message_quote(to_string(s.addr)) +
                  ", dst " + message_quote(d.text) + " at " +
                  message_quote(dst_ip(dst, s.addr)) + ", ssh user " + message_quote(a.user) +
                  ": want: " + message_quote(ir::ssh_verdict_name(a.want)) +
                  " got: " + message_quote(ir::ssh_verdict_name(dec.verdict));
      std::string from = to_string(s.addr);
      if (s.device >= 0) from += " (" + inv_.devices[static_cast<size_t>(s.device)].hostname + ")";
      if (dec.node_rule) {
        const ir::SshRule& r = prog_.rules[rules[*dec.node_rule].rule];
        f.rule = &r;
        f.detail = from + " -> " + dst.hostname + " as " + message_quote(a.user) +
                   " is decided by " + r.origin_name() +
                   (r.pos.known() ? " at line " + std::to_string(r.pos.line) + ":" +
                                        std::to_string(r.pos.col)
                                  : std::string()) +
                   " (" + ir::ssh_verdict_name(dec.verdict) + ", local user " +
                   message_quote(dec.local_user) + ")";
      } else {
        f.detail = from + " -> " + dst.hostname + " as " + message_quote(a.user) +
                   ": no ssh rule gives this source that user on " + dst.hostname +
                   " (it received " + std::to_string(rules.size()) + " ssh rules)";
      }
      out.failures.push_back(std::move(f));
      return;  // one counter-example per (user, dst device)
    }
  }

  const ir::SshProgram& prog_;
  const Inventory& inv_;
  ir::SshCompiler compiler_;
  std::map<size_t, std::vector<ir::NodeSshRule>> cache_;
};

}  // namespace

SshTestReport run_ssh_tests(const std::vector<ir::SshTestCase>& tests,
                            const ir::SshProgram& prog, const Inventory& inv) {
  Runner runner(prog, inv);
  return run_tests<SshTestFailure>(
      tests, [&](const ir::SshTestCase& t, SshTestResult& r) { runner.run(t, r); });
}

void to_diagnostics(const SshTestReport& report, const std::string& file, Diagnostics& out) {
  failures_to_diagnostics(report, "sshTests", "ssh-test-failed", file, out);
}

}  // namespace aclc::verify
