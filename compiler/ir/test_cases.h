// A policy's `tests` and `sshTests`, resolved against the inventory: what
// the verifier evaluates (verifier/policy_tests.h, verifier/ssh_tests.h).
//
// Resolution is the front end's job (compiler/front/lower_tests.h): it
// applies Tailscale's rules for what a test may name (tailscale-policy.md
// §6) and records every violation as an `error` string on the test or the
// entry. On Tailscale such a violation makes the test fail (HTTP 400 "test(s)
// failed"), it is not a policy syntax error, so the verifier reports it as a
// failing assertion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/ir/addr.h"
#include "compiler/ir/ssh.h"

namespace aclc::ir {

// An address a test names and the device owning it (-1: none, e.g. a host
// alias pointing outside the tailnet).
struct TestAddr {
  Addr addr;
  int device = -1;
};

// One "host:port" of a test's accept or deny list.
struct AclTestEntry {
  std::string text;         // as written: Tailscale quotes it in failures
  Pos pos;
  bool want_accept = true;  // from `accept` (else `deny`)
  std::string error;        // non-empty: invalid, the assertion fails
  std::vector<TestAddr> dsts;
  uint16_t port = 0;
};

struct AclTestCase {
  size_t index = 0;    // tests[index]
  Pos pos;
  std::string src;     // as written ("" when absent)
  Pos src_pos;
  std::string error;   // non-empty: the whole test fails (bad src, ...)
  std::vector<TestAddr> srcs;
  // The protocols tried per flow: the flow counts as allowed if any of them
  // is. One entry when `proto` is given; TCP and UDP when it is omitted
  // (Tailscale's API: "TCP or UDP").
  std::vector<uint8_t> protos;
  std::string proto_text;  // as written, "" when omitted
  std::vector<AclTestEntry> entries;  // accept entries, then deny entries
};

// One sshTests dst and the devices it names.
struct SshTestDst {
  std::string text;
  Pos pos;
  std::string error;            // non-empty: names nothing usable
  std::vector<size_t> devices;  // unique, inventory order
};

// One user of an sshTests accept/check/deny list.
struct SshTestAssertion {
  std::string user;
  Pos pos;
  // Accept: the session is allowed (an accept or a check rule);
  // Check: allowed by a check rule; Deny: not allowed.
  SshVerdict want = SshVerdict::Accept;
  std::string error;  // non-empty: the assertion fails (an empty user)
};

struct SshTestCase {
  size_t index = 0;  // sshTests[index]
  Pos pos;
  std::string src;
  Pos src_pos;
  std::string error;  // non-empty: the whole test fails
  std::vector<TestAddr> srcs;
  std::vector<SshTestDst> dsts;
  std::vector<SshTestAssertion> assertions;  // accept, then check, then deny
};

struct TestSuite {
  std::vector<AclTestCase> tests;
  std::vector<SshTestCase> ssh_tests;
};

}  // namespace aclc::ir
