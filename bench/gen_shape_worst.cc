// The worst-case shape of aclc-gen-tailnet (--shape worst): every rule
// draws its sources and destinations uniformly from every selector form
// (users, groups, tags, autogroup:member and :tagged, hosts, CIDRs, subnet
// routes, "*"), so about a third of the rules name autogroup:member or "*"
// as sources and a random destination. Each such rule lists every member's
// address on every node it reaches; at 10k devices / 1k rules that is tens
// of gigabytes of tailcfg JSON. No real tailnet looks like this (see
// gen_shape_realistic.cc); it is kept as a stress test of the compiler's
// worst case, and its output is the same as before the realistic shape
// existed, so old figures stay comparable.
#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "bench/gen_tailnet.h"

namespace gen {
namespace {

struct WorstTailnet {
  std::vector<User> users;
  std::vector<std::string> groups;     // "group:..."
  std::vector<std::vector<std::string>> group_members;
  std::vector<std::string> tags;       // "tag:..."
  std::vector<std::string> tag_owner;  // one owner per tag
  std::vector<std::pair<std::string, std::string>> hosts;
  std::vector<Device> devices;
  std::vector<std::string> subnet_routes;  // every advertised subnet route
};

const char* const kUserDomains[] = {"example.com", "example.org"};
const char* const kServiceTags[] = {"prod", "staging", "db", "web", "monitoring",
                                    "ci", "k8s", "build", "backup", "vpn"};

WorstTailnet make_tailnet(size_t n_devices, Rng& rng) {
  WorstTailnet t;
  size_t n_users = std::max<size_t>(3, n_devices / 4);
  for (size_t k = 0; k < n_users; k++) {
    char name[32];
    std::snprintf(name, sizeof name, "user%04zu", k);
    // Most users share the company domain; a few come from a second one.
    const char* domain = k % 7 == 3 ? kUserDomains[1] : kUserDomains[0];
    t.users.push_back({name, std::string(name) + "@" + domain});
  }

  size_t n_groups = std::max<size_t>(3, n_users / 25);
  for (size_t k = 0; k < n_groups; k++) {
    t.groups.push_back("group:team" + std::to_string(k));
    std::vector<std::string> members;
    size_t size = rng.between(1, std::min<size_t>(n_users, 30));
    for (size_t m = 0; m < size; m++) add_unique(members, rng.pick(t.users).email);
    t.group_members.push_back(members);
  }
  t.groups.push_back("group:admins");
  t.group_members.push_back({t.users[0].email, t.users[1].email});

  // Service tags, with numbered variants for large tailnets.
  size_t n_tags = std::min<size_t>(200, 10 + n_devices / 100);
  for (size_t k = 0; k < n_tags; k++) {
    std::string tag = std::string("tag:") + kServiceTags[k % 10];
    if (k >= 10) tag += "-" + std::to_string(k / 10);
    t.tags.push_back(tag);
    t.tag_owner.push_back(k % 3 == 0   ? std::string("autogroup:admin")
                          : k % 3 == 1 ? std::string("group:admins")
                                       : rng.pick(t.groups));
  }
  t.tags.push_back("tag:router");
  t.tag_owner.push_back("group:admins");
  t.tags.push_back("tag:exit");
  t.tag_owner.push_back("group:admins");
  t.tags.push_back("tag:mobile");
  t.tag_owner.push_back("autogroup:admin");

  std::set<uint32_t> used;
  size_t n_routers = std::max<size_t>(2, n_devices / 200);
  size_t n_exits = std::max<size_t>(1, n_devices / 1000);
  for (size_t k = 0; k < n_devices; k++) {
    Device d;
    d.v4 = fresh_v4(rng, used);
    char host[48];
    if (k < n_routers) {
      std::snprintf(host, sizeof host, "router-%04zu", k);
      d.tags = {"tag:router"};
      // Each router advertises one or two 10.x.y.0/24 or 172.16.x.0/24
      // subnets; most are approved.
      size_t count = rng.between(1, 2);
      for (size_t r = 0; r < count; r++) {
        std::string route = k % 2 ? "10." + std::to_string(k % 250) + "." +
                                        std::to_string(r) + ".0/24"
                                  : "172.16." + std::to_string((k + r) % 250) +
                                        ".0/24";
        d.advertised.push_back(route);
        if (rng.chance(80)) d.enabled.push_back(route);
        t.subnet_routes.push_back(route);
      }
    } else if (k < n_routers + n_exits) {
      std::snprintf(host, sizeof host, "exit-%04zu", k);
      d.tags = {"tag:exit"};
      d.advertised = {"0.0.0.0/0", "::/0"};
      d.enabled = d.advertised;
    } else if (rng.chance(30)) {
      // A server: one or two service tags.
      std::snprintf(host, sizeof host, "srv-%05zu", k);
      d.tags.push_back(rng.pick(t.tags));
      if (rng.chance(20)) {
        const std::string& second = rng.pick(t.tags);
        if (second != d.tags[0]) d.tags.push_back(second);
      }
    } else if (rng.chance(5)) {
      std::snprintf(host, sizeof host, "phone-%05zu", k);
      d.tags = {"tag:mobile"};
    } else {
      std::snprintf(host, sizeof host, "laptop-%05zu", k);
      d.user = rng.pick(t.users).email;
    }
    d.hostname = host;
    t.devices.push_back(std::move(d));
  }

  // Hosts: named servers (some of the tailnet's own addresses) and networks.
  size_t n_hosts = std::min<size_t>(100, 5 + n_devices / 100);
  for (size_t k = 0; k < n_hosts; k++) {
    std::string name = "svc" + std::to_string(k);
    if (k % 3 == 0)
      t.hosts.push_back({name, "10." + std::to_string(100 + k % 150) + ".0.0/16"});
    else
      t.hosts.push_back({name, v4_text(rng.pick(t.devices).v4)});
  }
  return t;
}

// ---- the policy ----

const char* const kPortForms[] = {"22",     "80,443",    "443",      "5432",
                                  "8000-8999", "3000",   "6379",     "22,80,443",
                                  "*",      "53",        "9100-9200", "1-1024"};
const char* const kGrantIp[] = {"tcp:443", "tcp:22",  "udp:53",  "8000-8100",
                                "*",       "icmp:*",  "tcp:5432", "443",
                                "udp:51820"};

// A source selector. `identity_only` restricts it to users, groups and
// autogroup:member, as autogroup:self in the destination requires.
std::string source(const WorstTailnet& t, Rng& rng, bool identity_only) {
  size_t form = identity_only ? rng.below(3) : rng.below(10);
  switch (form) {
    case 0: return rng.pick(t.groups);
    case 1: return rng.pick(t.users).email;
    case 2: return "autogroup:member";
    case 3: case 4: return rng.pick(t.tags);
    case 5: return "autogroup:tagged";
    case 6: return rng.pick(t.hosts).first;
    case 7: return "100.64.0.0/10";
    case 8: return rng.pick(t.subnet_routes);
    default: return "*";
  }
}

// A destination without ports.
std::string target(const WorstTailnet& t, Rng& rng) {
  switch (rng.below(9)) {
    case 0: case 1: case 2: return rng.pick(t.tags);
    case 3: return rng.pick(t.groups);
    case 4: return rng.pick(t.hosts).first;
    case 5: return rng.pick(t.subnet_routes);
    case 6: return rng.pick(t.users).email;
    case 7: return "autogroup:tagged";
    default: return "*";
  }
}

std::string acl_rule(const WorstTailnet& t, Rng& rng) {
  bool self = rng.chance(8);
  bool internet = !self && rng.chance(3);
  std::vector<std::string> src, dst;
  size_t n_src = rng.between(1, 3);
  for (size_t k = 0; k < n_src; k++) add_unique(src, source(t, rng, self));
  std::string proto;
  if (self) {
    dst.push_back(std::string("autogroup:self:") +
                  kPortForms[rng.below(std::size(kPortForms))]);
  } else if (internet) {
    dst.push_back("autogroup:internet:*");
  } else {
    size_t n_dst = rng.between(1, 3);
    bool icmp = rng.chance(5);
    for (size_t k = 0; k < n_dst; k++)
      add_unique(dst, target(t, rng) + ":" +
                          (icmp ? "*" : kPortForms[rng.below(std::size(kPortForms))]));
    if (icmp)
      proto = "icmp";
    else if (rng.chance(15))
      proto = rng.chance(70) ? "tcp" : "udp";
  }
  std::string out = "{\"action\": \"accept\", \"src\": [" + join_quoted(src) +
                    "], \"dst\": [" + join_quoted(dst) + "]";
  if (!proto.empty()) out += ", \"proto\": " + json_string(proto);
  return out + "}";
}

std::string grant_rule(const WorstTailnet& t, Rng& rng) {
  bool self = rng.chance(8);
  std::vector<std::string> src, dst, ip;
  size_t n_src = rng.between(1, 3);
  for (size_t k = 0; k < n_src; k++) add_unique(src, source(t, rng, self));
  if (self) {
    dst.push_back("autogroup:self");
  } else {
    size_t n_dst = rng.between(1, 2);
    for (size_t k = 0; k < n_dst; k++) add_unique(dst, target(t, rng));
  }
  size_t n_ip = rng.between(1, 3);
  for (size_t k = 0; k < n_ip; k++) add_unique(ip, kGrantIp[rng.below(std::size(kGrantIp))]);
  return "{\"src\": [" + join_quoted(src) + "], \"dst\": [" + join_quoted(dst) +
         "], \"ip\": [" + join_quoted(ip) + "]}";
}

std::string policy_text(const WorstTailnet& t, size_t n_rules, Rng& rng,
                        const std::string& header) {
  std::string out = "// " + header + "\n{\n";
  out += "  \"groups\": {\n";
  for (size_t k = 0; k < t.groups.size(); k++)
    out += "    " + json_string(t.groups[k]) + ": [" + join_quoted(t.group_members[k]) + "],\n";
  out += "  },\n\n  \"tagOwners\": {\n";
  for (size_t k = 0; k < t.tags.size(); k++)
    out += "    " + json_string(t.tags[k]) + ": [" + json_string(t.tag_owner[k]) + "],\n";
  out += "  },\n\n  \"hosts\": {\n";
  for (const auto& [name, value] : t.hosts)
    out += "    " + json_string(name) + ": " + json_string(value) + ",\n";
  out += "  },\n\n  \"autoApprovers\": {\n    \"routes\": {\n";
  std::set<std::string> routes(t.subnet_routes.begin(), t.subnet_routes.end());
  for (const std::string& r : routes) {
    // Approve every route by tag:router, some also by the admins.
    out += "      " + json_string(r) + ": [\"tag:router\"" +
           (rng.chance(20) ? ", \"group:admins\"" : "") + "],\n";
  }
  out += "    },\n    \"exitNode\": [\"tag:exit\"],\n  },\n\n";

  // About two thirds of the rules are acls, the rest grants.
  size_t n_grants = n_rules / 3;
  size_t n_acls = n_rules - n_grants;
  out += "  \"acls\": [\n";
  out += "    // Admins reach everything.\n";
  out += "    {\"action\": \"accept\", \"src\": [\"group:admins\"], \"dst\": [\"*:*\"]},\n";
  for (size_t k = 1; k < n_acls; k++) out += "    " + acl_rule(t, rng) + ",\n";
  out += "  ],\n\n  \"grants\": [\n";
  for (size_t k = 0; k < n_grants; k++) out += "    " + grant_rule(t, rng) + ",\n";
  out += "  ],\n\n  \"ssh\": [\n";
  out += "    {\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": "
         "[\"autogroup:self\"], \"users\": [\"autogroup:nonroot\", \"root\"]},\n";
  out += "    {\"action\": \"accept\", \"src\": [\"group:admins\"], \"dst\": [" +
         json_string(t.tags[0]) + ", \"tag:router\"], \"users\": [\"root\"]},\n";
  out += "  ],\n}\n";
  return out;
}

}  // namespace

Generated worst_case_tailnet(size_t n_devices, size_t n_rules, Rng& rng, const std::string& header) {
  WorstTailnet t = make_tailnet(n_devices, rng);
  Generated g;
  g.policy = policy_text(t, n_rules, rng, header);
  g.tailnet.users = std::move(t.users);
  g.tailnet.devices = std::move(t.devices);
  return g;
}

}  // namespace gen
