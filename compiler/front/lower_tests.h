// Lowering `tests` and `sshTests`: each test's src and destinations
// resolved against the inventory, with Tailscale's rules for what a test may
// name (tailscale-policy.md §6). A violation is recorded as an error on the
// test or entry (Tailscale fails the test; it does not reject the syntax).
//
// tests[].src: one user, group, tag, host alias, IP, autogroup:member /
// tagged / a role, or (aclc dialect) a device name; it must name at least
// one address. Entries are "host:port" with a single port number 0-65535;
// the host must resolve to individual addresses: an IP (IPv6 bracketed,
// "[fd7a::1]:22"), a host alias whose value is a single IP, a tag, user,
// group, autogroup:member/tagged, autogroup:self (the src user's own
// devices) or (aclc) a device name. CIDRs (even /32), ranges, ipsets, "*",
// autogroup:internet and undefined names are errors. `proto` omitted means
// TCP or UDP.
//
// sshTests: src as above; each dst a tag, user, autogroup:self/member/
// tagged, host alias or IPv4 address of a device (a bare IPv6 address fails,
// as recorded on Tailscale); accept/check/deny users, an empty user fails.
#pragma once

#include "compiler/front/policy.h"
#include "compiler/ir/device.h"
#include "compiler/ir/test_cases.h"

namespace aclc {

ir::TestSuite lower_tests(const policy::Policy& pol, const Inventory& inv);

}  // namespace aclc
