#include <doctest/doctest.h>

#include "tests/unit/lower_fixture.h"

using namespace aclc;
using namespace aclc::testing;

namespace {

// SrcIPs of an acl with one source selector.
std::string src_of(const std::string& sel) {
  Lowered l = lower_text(policy_with(R"("acls": [{"action": "accept", "src": [")" + sel +
                                     R"("], "dst": ["*:*"]}])"));
  REQUIRE(l.prog.rules.size() == 1);
  return joined(l.prog.rules[0].src_wire);
}

// DstPorts IPs of an acl with one destination.
std::string dst_of(const std::string& sel) {
  Lowered l = lower_text(policy_with(R"("acls": [{"action": "accept", "src": ["*"], "dst": [")" +
                                     sel + R"(:22"]}])"));
  REQUIRE(l.prog.rules.size() == 1);
  std::vector<std::string> ips;
  for (const ir::DstGroup& g : l.prog.rules[0].dst) {
    if (g.self) ips.push_back("(self)");
    for (const ir::Target& t : g.targets) ips.push_back(t.ip);
  }
  return joined(ips);
}

}  // namespace

TEST_CASE("lower: each source selector kind resolves to Tailscale's SrcIPs") {
  // "*": CGNAT minus the ChromeOS range, the ULA, and approved subnet routes
  // (never exit routes).
  CHECK(src_of("*") ==
        "10.1.0.0/16 100.115.94.0-100.127.255.255 100.64.0.0-100.115.91.255 fd7a:115c:a1e0::/48");
  // A user: the untagged devices only (web2 is tagged, so it is not alice's).
  CHECK(src_of("alice@example.com") == "100.64.0.10 100.64.0.11 fd7a:115c:a1e0::a");
  CHECK(src_of("group:eng") == "100.64.0.10 100.64.0.11 100.64.0.20 fd7a:115c:a1e0::a");
  CHECK(src_of("user:*@example.org") == "100.64.0.20");
  // Tags: adjacent addresses stay separate strings.
  CHECK(src_of("tag:web") == "100.64.0.1 100.64.0.2 fd7a:115c:a1e0::1");
  CHECK(src_of("autogroup:member") == "100.64.0.10 100.64.0.11 100.64.0.20 fd7a:115c:a1e0::a");
  CHECK(src_of("autogroup:tagged") ==
        "100.64.0.1 100.64.0.2 100.64.0.30 100.64.0.40 fd7a:115c:a1e0::1");
  CHECK(src_of("autogroup:admin") == "100.64.0.20");
  CHECK(src_of("autogroup:owner") == "");  // carol has no devices
  CHECK(src_of("autogroup:danger-all") == "*");
  CHECK(src_of("100.64.0.0/24") == "100.64.0.0/24");
  CHECK(src_of("100.64.0.1-100.64.0.5") == "100.64.0.1-100.64.0.5");
  CHECK(src_of("db") == "10.9.0.5");
  CHECK(src_of("lan") == "10.1.0.0/24");
  CHECK(src_of("ipset:office") == "10.0.0.0/16 10.2.0.0-10.255.255.255");
  // aclc dialect: a device name, by hostname or by the first label of `name`.
  CHECK(src_of("aphone") == "100.64.0.11");
  CHECK(src_of("alice-laptop") == "100.64.0.10 fd7a:115c:a1e0::a");
  // "*" plus named sources: both are listed (Tailscale does not merge).
  CHECK(src_of("*\", \"tag:web") ==
        "10.1.0.0/16 100.115.94.0-100.127.255.255 100.64.0.0-100.115.91.255 100.64.0.1 "
        "100.64.0.2 fd7a:115c:a1e0::/48 fd7a:115c:a1e0::1");
}

TEST_CASE("lower: each destination selector kind resolves to DstPorts targets") {
  CHECK(dst_of("*") == "*");
  CHECK(dst_of("tag:web") == "100.64.0.1 fd7a:115c:a1e0::1 100.64.0.2");
  CHECK(dst_of("alice@example.com") == "100.64.0.10 fd7a:115c:a1e0::a 100.64.0.11");
  CHECK(dst_of("autogroup:self") == "(self)");
  CHECK(dst_of("autogroup:internet") ==
        "0.0.0.0-9.255.255.255 11.0.0.0-100.63.255.255 100.128.0.0-169.253.255.255 "
        "169.255.0.0-172.15.255.255 172.32.0.0-192.167.255.255 192.169.0.0-255.255.255.255 "
        "2000::-3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(dst_of("10.1.2.0/24") == "10.1.2.0/24");
  CHECK(dst_of("db") == "10.9.0.5");
  CHECK(dst_of("ipset:office") == "10.0.0.0/16 10.2.0.0-10.255.255.255");
  CHECK(dst_of("router") == "100.64.0.30");
}

TEST_CASE("lower: ports, protocols and the sets decide() uses") {
  Lowered l = lower_text(policy_with(
      R"("acls": [{"action": "accept", "src": ["tag:web"], "proto": "udp", "dst": ["db:53,5353-5354"]}])"));
  REQUIRE(l.prog.rules.size() == 1);
  const ir::Rule& r = l.prog.rules[0];
  REQUIRE(r.proto.has_value());
  CHECK(r.proto->to_vector() == std::vector<int>{17});
  REQUIRE(r.dst.size() == 1);
  CHECK(r.dst[0].ports == std::vector<PortRange>{{53, 53}, {5353, 5354}});
  CHECK(r.src.contains(*parse_addr("100.64.0.2")));
  CHECK_FALSE(r.src.contains(*parse_addr("100.64.0.10")));
  CHECK(r.origin == ir::Origin::Acl);
  CHECK(r.pos.line > 0);
}

TEST_CASE("lower: program shape") {
  SUBCASE("no acls and no grants: one implicit allow-all") {
    Lowered l = lower_text(R"({"tagOwners": {"tag:web": []}})");
    REQUIRE(l.prog.rules.size() == 1);
    CHECK(l.prog.rules[0].origin == ir::Origin::Default);
    CHECK(l.prog.rules[0].dst[0].targets[0].kind == ir::TargetKind::Wildcard);
    CHECK(l.prog.rules[0].dst[0].ports == std::vector<PortRange>{PortRange::all()});
  }
  SUBCASE("present but empty: deny all") {
    CHECK(lower_text(R"({"acls": []})").prog.rules.empty());
    CHECK(lower_text(R"({"grants": []})").prog.rules.empty());
  }
  SUBCASE("grants compile before acls; a grant splits per protocol") {
    Lowered l = lower_text(policy_with(R"(
      "acls": [{"action": "accept", "src": ["*"], "dst": ["tag:web:22"]}],
      "grants": [{"src": ["*"], "dst": ["tag:web"], "ip": ["tcp:80", "udp:53", "tcp:443"]}])"));
    REQUIRE(l.prog.rules.size() == 3);
    CHECK(l.prog.rules[0].origin == ir::Origin::Grant);
    CHECK(l.prog.rules[0].proto->to_vector() == std::vector<int>{6});
    CHECK(l.prog.rules[0].dst[0].ports == std::vector<PortRange>{{80, 80}, {443, 443}});
    CHECK(l.prog.rules[1].proto->to_vector() == std::vector<int>{17});
    CHECK(l.prog.rules[2].origin == ir::Origin::Acl);
    CHECK_FALSE(l.prog.rules[2].proto.has_value());
  }
  SUBCASE("app grants: one capability rule, plus the companion for drive") {
    Lowered l = lower_text(policy_with(R"(
      "grants": [{"src": ["group:eng"], "dst": ["tag:web"],
                  "app": {"tailscale.com/cap/drive": [{"shares": ["*"]}]}}])"));
    REQUIRE(l.prog.rules.size() == 2);
    CHECK(l.prog.rules[0].caps.size() == 1);
    CHECK(l.prog.rules[1].companion);
    CHECK(l.prog.rules[1].caps[0].name == "tailscale.com/cap/drive-sharer");
    // Reversed: from the grant's destinations to its sources.
    CHECK(joined(l.prog.rules[1].src_wire) == "100.64.0.1 100.64.0.2 fd7a:115c:a1e0::1");
  }
  SUBCASE("aclc deny rules keep their order and action") {
    Lowered l = lower_text(policy_with(R"("acls": [
      {"action": "deny", "src": ["bob@example.org"], "dst": ["tag:web:*"]},
      {"action": "accept", "src": ["*"], "dst": ["*:*"]}])"));
    REQUIRE(l.prog.rules.size() == 2);
    CHECK(l.prog.has_deny);
    CHECK(l.prog.rules[0].action == ir::Action::Deny);
    CHECK(l.prog.rules[1].action == ir::Action::Accept);
  }
}
