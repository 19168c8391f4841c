// The decoded policy file: every section of a Tailscale policy (plus aclc's
// extensions), with each string already classified and each position kept.
//
// This is the contract between the front end (HuJSON -> Policy, with shape
// and reference validation) and lowering (Policy + Inventory -> IR). Nothing
// here is resolved against devices: a Selector says what the author wrote
// ("tag:prod", "10.0.0.0/8", a host alias), not which addresses it means.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/dialect.h"
#include "compiler/front/hujson.h"
#include "compiler/ir/addr.h"
#include "compiler/ir/portset.h"

namespace aclc::policy {

// A string from the policy, trimmed of surrounding whitespace as Tailscale
// trims it, with the position of its opening quote.
struct Str {
  std::string text;
  Pos pos;
};

enum class SelectorKind {
  Wildcard,    // "*"
  User,        // "alice@example.com", "alice@" (login; the trailing @ form)
  UserDomain,  // "user:*@example.com": every user of that domain
  Group,       // "group:eng"
  Tag,         // "tag:prod"
  Autogroup,   // "autogroup:member" (name holds "member")
  Prefix,      // "100.64.0.1", "10.0.0.0/8", "fd7a::1", "[fd7a::1]"
  Range,       // "100.64.0.1-100.64.0.9"
  IPSet,       // "ipset:office"
  Name,        // a bare word: a `hosts` alias, or (aclc dialect) a device
  Posture,     // "posture:latestMac" (only in srcPosture lists)
};

struct Selector {
  SelectorKind kind = SelectorKind::Wildcard;
  std::string text;    // as written (trimmed), for messages and output
  std::string name;    // normalised: "tag:prod", "group:eng", "member",
                       // the login for User, the domain for UserDomain,
                       // the alias or device name for Name
  Prefix prefix{};     // Prefix: the address or CIDR (masked)
  Addr range_last{};   // Range: prefix.addr is the first address
  bool host_alias = false;  // Name: true if `hosts` defines it, false if it
                            // is a device name (an aclc extension)
  Pos pos;
};

// A destination with ports, as in acls[].dst: "tag:prod:22,80-90", "*:*".
struct DstSelector {
  Selector target;
  std::vector<PortRange> ports;  // as written, in order (not merged)
  Pos pos;
};

// A protocol as written in acls[].proto or a grant's "proto:ports".
// Absent (std::nullopt where used) means Tailscale's default protocols.
struct Proto {
  uint8_t number = 0;
  std::string text;  // as written
  Pos pos;
};

enum class Action { Accept, Deny };

struct AclRule {
  Pos pos;                // the rule's opening brace
  Action action = Action::Accept;
  Pos action_pos;
  std::vector<Selector> src;
  std::vector<DstSelector> dst;
  std::optional<Proto> proto;
  std::vector<Selector> src_posture;
  size_t index = 0;       // position in acls[]
};

// One entry of a grant's "ip" list: "*", "22", "80-90", "tcp:443", "icmp:*".
struct GrantIp {
  std::optional<Proto> proto;    // absent: default protocols
  std::vector<PortRange> ports;  // "*" is {0, 65535}
  std::string text;
  Pos pos;
};

// One application capability: its name and its values, kept verbatim.
struct AppCap {
  Str name;
  std::vector<hujson::Value> values;
};

struct Grant {
  Pos pos;
  std::vector<Selector> src;
  std::vector<Selector> dst;     // no ports: ports are in `ip`
  std::vector<GrantIp> ip;
  size_t ip_written = 0;         // entries written in `ip`, valid or not
  std::vector<AppCap> app;       // in source order
  std::vector<Selector> via;     // tags
  std::vector<Selector> src_posture;
  size_t index = 0;
};

enum class SshAction { Accept, Check };

struct SshRule {
  Pos pos;
  SshAction action = SshAction::Accept;
  std::vector<Selector> src;
  std::vector<Selector> dst;
  std::vector<Str> users;              // "root", "autogroup:nonroot",
                                       // "localpart:*@example.com", ...
  std::optional<Str> check_period;     // "12h", "always"
  std::vector<Str> accept_env;
  std::vector<Selector> src_posture;
  std::vector<Selector> recorder;
  bool enforce_recorder = false;
  size_t index = 0;
};

// groups, tagOwners, ipsets and postures: a name and its list, in order.
struct Group {
  Str name;                        // "group:eng"
  std::vector<Selector> members;   // User, or (aclc dialect) Name = device
};

struct TagOwner {
  Str name;                        // "tag:prod"
  std::vector<Selector> owners;    // User, Group, Autogroup, Tag
};

struct Host {
  Str name;
  Str value;                       // as written
  Prefix prefix{};                 // parsed (masked)
};

enum class IPSetOp { Add, Remove };
struct IPSetEntry {
  IPSetOp op = IPSetOp::Add;
  Selector target;                 // Prefix, Range, Name (host), IPSet,
                                   // Autogroup internet
};
struct IPSetDef {
  Str name;                        // "ipset:office"
  std::vector<IPSetEntry> entries; // in order
};

struct Posture {
  Str name;                        // "posture:latestMac"
  std::vector<Str> assertions;     // kept as written
};

struct AutoApprovers {
  struct Route {
    Str cidr;
    Prefix prefix{};
    std::vector<Selector> approvers;
  };
  std::vector<Route> routes;
  std::vector<Selector> exit_node;
  // "services" (approvers of Tailscale Services), kept as written.
  std::optional<hujson::Value> services;
};

struct NodeAttr {
  Pos pos;
  std::vector<Selector> target;
  std::vector<Str> attr;
  std::vector<AppCap> app;
  std::vector<Str> ip_pool;
};

// tests[]: Tailscale's policy tests.
struct AclTest {
  Pos pos;
  std::optional<Str> src;          // absent or "" is a failing test
  std::optional<Str> proto;
  std::vector<Str> accept;         // "host:port" as written (validated when
  std::vector<Str> deny;           // the test runs, as Tailscale does)
  bool has_accept = false;
  bool has_deny = false;
  std::optional<hujson::Value> src_posture_attrs;
};

// sshTests[]
struct SshTest {
  Pos pos;
  std::optional<Str> src;
  std::vector<Str> dst;
  std::vector<Str> accept;
  std::vector<Str> check;
  std::vector<Str> deny;
  bool has_accept = false, has_check = false, has_deny = false;
  std::optional<hujson::Value> src_posture_attrs;
};

struct Policy {
  std::string file;             // path, for diagnostics
  Dialect dialect = Dialect::Aclc;

  bool has_acls = false;        // key present (an empty list denies all;
  bool has_grants = false;      // both keys absent allows all)
  std::vector<AclRule> acls;
  std::vector<Grant> grants;
  std::vector<SshRule> ssh;
  bool has_ssh = false;

  std::vector<Group> groups;
  std::vector<TagOwner> tag_owners;
  std::vector<Host> hosts;
  std::vector<IPSetDef> ipsets;
  std::vector<Posture> postures;
  std::vector<Selector> default_src_posture;
  AutoApprovers auto_approvers;
  std::vector<NodeAttr> node_attrs;
  std::vector<AclTest> tests;
  std::vector<SshTest> ssh_tests;

  // Sections that decide nothing about access (derpMap, disableIPv4,
  // randomizeClientPort, ...), validated for shape and carried through.
  std::vector<hujson::Member> passthrough;
  // aclc's own "assertions" section, decoded by the verifier.
  std::optional<hujson::Value> assertions;

  // Look-ups by name (nullptr if undefined). Constant time after
  // reindex() (parse_policy calls it); a linear scan if the lists changed
  // since.
  const Group* find_group(const std::string& name) const;
  const TagOwner* find_tag(const std::string& name) const;
  const Host* find_host(const std::string& name) const;
  const IPSetDef* find_ipset(const std::string& name) const;
  const Posture* find_posture(const std::string& name) const;
  void reindex();

  // name -> position in the list above, built by reindex().
  std::unordered_map<std::string, size_t> group_index, tag_index, host_index,
      ipset_index, posture_index;
};

}  // namespace aclc::policy
