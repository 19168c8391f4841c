// The realistic shape of aclc-gen-tailnet (the default).
//
// Why this shape. Real tailnets are mostly people's devices reaching a
// bounded set of services, not everyone reaching everything:
//   * headscale#3423 (../shared/reference/headscale.md §2): ~310 nodes, 70
//     tagged and 240 user-owned; a laptop sees ~74 peers, a tagged node
//     ~300. So about a quarter of the devices are tagged servers, users own
//     a few devices each, and the broad reach sits on a few tagged nodes.
//   * headscale#3417: 617 nodes, 139 subnet routes behind a couple of
//     routers: routes come from a few routers, each with several prefixes.
//   * Tailscale's policy examples (tailscale-policy.md, the admin console's
//     default and "example policies"): groups of people (eng, sales, ...)
//     reach tags owned by their team on the service's ports
//     (group:eng -> tag:dev:*, group:dba -> tag:db:5432), services reach
//     each other by tag, every member reaches shared infrastructure (DNS,
//     a proxy, the exit nodes) and their own devices (autogroup:self), and
//     admins reach everything.
// So: users own 1-5 devices (about 2 on average), 25 % of devices are
// servers carrying one of N/40 service tags (about 10 devices a tag), teams
// of about 30 users own the service tags, and the rules are mostly
// team -> own tags, tag -> tag and a contractor -> tag, with six broad
// rules (admins -> *, member -> self, member -> DNS, member -> proxy,
// member -> internet, monitoring -> *:9100) whatever the size. A quarter of
// the rules are written as grants. No deny rules: Tailscale accepts the
// policy as it is.
#include <algorithm>
#include <cstdio>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "bench/gen_tailnet.h"

namespace gen {
namespace {

const char* const kTeamNames[] = {"eng",     "sales", "ops",      "data",     "design",
                                  "support", "it",    "security", "research", "finance"};
const char* const kServiceNames[] = {"web", "db",      "api",   "cache", "queue",
                                     "ci",  "storage", "build", "k8s",   "backup"};
// Ports a service listens on, as acl destinations and as grant `ip` lists.
const char* const kAclPorts[] = {"22", "443", "80,443", "5432", "6379", "8080",
                                 "3000-3100", "22,443", "9000-9100", "*"};
const char* const kGrantIp[][2] = {{"tcp:22", nullptr},   {"tcp:443", nullptr},  {"tcp:80", "tcp:443"},
                                   {"tcp:5432", nullptr}, {"tcp:6379", nullptr}, {"tcp:8080", nullptr},
                                   {"tcp:3000-3100", nullptr}, {"tcp:22", "tcp:443"},
                                   {"tcp:9000-9100", nullptr}, {"*", nullptr}};

struct Shape {
  Tailnet t;
  std::vector<std::string> teams;                     // "group:eng-3"
  std::vector<std::vector<std::string>> team_members;  // emails
  std::vector<std::string> admins, sre;                // emails
  std::vector<std::string> services;                  // "tag:web-7"
  std::vector<size_t> service_team;                   // owning team per service
  std::vector<std::vector<size_t>> team_services;     // per team
  std::vector<std::string> routes;                    // every advertised route
  std::vector<std::pair<std::string, std::string>> hosts;
};

std::string numbered(const char* base, size_t k, size_t period) {
  std::string s = base;
  if (k >= period) s += "-" + std::to_string(k / period);
  return s;
}

Shape make_shape(size_t n_devices, Rng& rng) {
  Shape s;
  Tailnet& t = s.t;
  size_t n_users = std::max<size_t>(3, n_devices / 3);
  for (size_t k = 0; k < n_users; k++) {
    char name[32];
    std::snprintf(name, sizeof name, "user%05zu", k);
    const char* domain = k % 9 == 4 ? "example.org" : "example.com";
    t.users.push_back({name, std::string(name) + "@" + domain});
  }

  // Teams of about 30; everyone is in one, a fifth also in a second.
  size_t n_teams = std::max<size_t>(2, n_users / 30);
  for (size_t k = 0; k < n_teams; k++) {
    std::size_t names = std::size(kTeamNames);
    s.teams.push_back("group:" + numbered(kTeamNames[k % names], k, names));
  }
  s.team_members.resize(n_teams);
  for (const User& u : t.users) {
    size_t first = rng.below(n_teams);
    s.team_members[first].push_back(u.email);
    if (rng.chance(20)) add_unique(s.team_members[rng.below(n_teams)], u.email);
  }
  for (size_t k = 0; k < 3; k++) s.admins.push_back(t.users[k].email);
  size_t n_sre = std::max<size_t>(2, n_users / 200);
  for (size_t k = 0; k < n_sre; k++) add_unique(s.sre, rng.pick(t.users).email);

  // Service tags, about ten devices each, each owned by one team.
  size_t n_services = std::max<size_t>(5, n_devices / 40);
  s.team_services.resize(n_teams);
  for (size_t k = 0; k < n_services; k++) {
    std::size_t names = std::size(kServiceNames);
    s.services.push_back("tag:" + numbered(kServiceNames[k % names], k, names));
    size_t team = rng.below(n_teams);
    s.service_team.push_back(team);
    s.team_services[team].push_back(k);
  }

  // Devices: infrastructure first, then servers and people's devices.
  std::set<uint32_t> used;
  size_t n_routers = std::max<size_t>(2, n_devices / 500);
  size_t n_exits = std::max<size_t>(1, n_devices / 2000);
  size_t n_dns = 2 + n_devices / 5000, n_proxy = 2 + n_devices / 5000, n_mon = 1 + n_devices / 5000;
  for (size_t k = 0; k < n_devices; k++) {
    Device d;
    d.v4 = fresh_v4(rng, used);
    char host[48];
    size_t infra = k;
    if (infra < n_routers) {
      std::snprintf(host, sizeof host, "router-%03zu", k);
      d.tags = {"tag:router"};
      // One to three office or VPC /24s each, most approved.
      size_t count = rng.between(1, 3);
      for (size_t r = 0; r < count; r++) {
        std::string route = "10." + std::to_string(k / 250) + "." + std::to_string(k % 250) + "." +
                            std::to_string(r * 64) + "/26";
        d.advertised.push_back(route);
        if (rng.chance(90)) d.enabled.push_back(route);
        s.routes.push_back(route);
      }
    } else if ((infra -= n_routers) < n_exits) {
      std::snprintf(host, sizeof host, "exit-%03zu", infra);
      d.tags = {"tag:exit"};
      d.advertised = {"0.0.0.0/0", "::/0"};
      d.enabled = d.advertised;
    } else if ((infra -= n_exits) < n_dns) {
      std::snprintf(host, sizeof host, "dns-%03zu", infra);
      d.tags = {"tag:dns"};
    } else if ((infra -= n_dns) < n_proxy) {
      std::snprintf(host, sizeof host, "proxy-%03zu", infra);
      d.tags = {"tag:proxy"};
    } else if ((infra -= n_proxy) < n_mon) {
      std::snprintf(host, sizeof host, "monitor-%03zu", infra);
      d.tags = {"tag:monitoring"};
    } else if (rng.chance(25)) {
      std::snprintf(host, sizeof host, "srv-%05zu", k);
      d.tags.push_back(rng.pick(s.services));
      if (rng.chance(10)) add_unique(d.tags, rng.pick(s.services));
    } else {
      size_t kind = rng.below(100);
      const char* what = kind < 55 ? "laptop" : kind < 80 ? "desktop" : "phone";
      std::snprintf(host, sizeof host, "%s-%05zu", what, k);
      d.user = rng.pick(t.users).email;
    }
    d.hostname = host;
    t.devices.push_back(std::move(d));
  }

  // Hosts: a few named servers (tailnet addresses) and VPC ranges.
  size_t n_hosts = std::min<size_t>(50, 3 + n_devices / 200);
  for (size_t k = 0; k < n_hosts; k++) {
    std::string name = "svc" + std::to_string(k);
    if (k % 2 == 0)
      s.hosts.push_back({name, "10.200." + std::to_string(k % 250) + ".0/24"});
    else
      s.hosts.push_back({name, v4_text(rng.pick(t.devices).v4)});
  }
  return s;
}

// One rule: sources, destinations without ports, and the ports as an index
// into kAclPorts / kGrantIp.
struct Draft {
  std::vector<std::string> src, dst;
  size_t ports = 0;
};

const std::string& team_service(const Shape& s, size_t team, Rng& rng) {
  const std::vector<size_t>& own = s.team_services[team];
  return own.empty() ? rng.pick(s.services) : s.services[own[rng.below(own.size())]];
}

Draft draft_rule(const Shape& s, Rng& rng) {
  Draft d;
  size_t kind = rng.below(100);
  d.ports = rng.below(std::size(kAclPorts));
  if (kind < 60) {
    // A team reaches one or two of its services.
    size_t team = rng.below(s.teams.size());
    d.src.push_back(s.teams[team]);
    if (rng.chance(15)) add_unique(d.src, rng.pick(s.teams));
    size_t n = rng.between(1, 2);
    for (size_t k = 0; k < n; k++) add_unique(d.dst, team_service(s, team, rng));
  } else if (kind < 78) {
    // Service to service.
    d.src.push_back(rng.pick(s.services));
    d.dst.push_back(rng.pick(s.services));
  } else if (kind < 88) {
    // One person (a contractor, an on-call engineer) to a service.
    d.src.push_back(rng.pick(s.t.users).email);
    d.dst.push_back(rng.pick(s.services));
  } else {
    // A team to a network behind a router or a named host.
    d.src.push_back(rng.pick(s.teams));
    if (rng.chance(50))
      d.dst.push_back(rng.pick(s.routes));
    else
      d.dst.push_back(rng.pick(s.hosts).first);
  }
  return d;
}

std::string acl_text(const Draft& d) {
  std::vector<std::string> dst;
  for (const std::string& x : d.dst) dst.push_back(x + ":" + kAclPorts[d.ports]);
  return "{\"action\": \"accept\", \"src\": [" + join_quoted(d.src) + "], \"dst\": [" + join_quoted(dst) +
         "]}";
}

std::string grant_text(const Draft& d) {
  std::vector<std::string> ip;
  for (const char* p : kGrantIp[d.ports])
    if (p) ip.push_back(p);
  return "{\"src\": [" + join_quoted(d.src) + "], \"dst\": [" + join_quoted(d.dst) + "], \"ip\": [" +
         join_quoted(ip) + "]}";
}

std::string policy_text(const Shape& s, size_t n_rules, Rng& rng, const std::string& header) {
  std::string out = "// " + header + "\n{\n  \"groups\": {\n";
  out += "    \"group:admins\": [" + join_quoted(s.admins) + "],\n";
  out += "    \"group:sre\": [" + join_quoted(s.sre) + "],\n";
  for (size_t k = 0; k < s.teams.size(); k++)
    out += "    " + json_string(s.teams[k]) + ": [" + join_quoted(s.team_members[k]) + "],\n";
  out += "  },\n\n  \"tagOwners\": {\n";
  for (const char* infra : {"tag:router", "tag:exit", "tag:dns", "tag:proxy"})
    out += "    " + json_string(infra) + ": [\"group:admins\"],\n";
  out += "    \"tag:monitoring\": [\"group:sre\"],\n";
  for (size_t k = 0; k < s.services.size(); k++)
    out += "    " + json_string(s.services[k]) + ": [" + json_string(s.teams[s.service_team[k]]) + "],\n";
  out += "  },\n\n  \"hosts\": {\n";
  for (const auto& [name, value] : s.hosts) out += "    " + json_string(name) + ": " + json_string(value) + ",\n";
  out += "  },\n\n  \"autoApprovers\": {\n    \"routes\": {\n";
  for (const std::string& r : s.routes) out += "      " + json_string(r) + ": [\"tag:router\"],\n";
  out += "    },\n    \"exitNode\": [\"tag:exit\"],\n  },\n\n";

  // The broad rules every tailnet has, then the drawn ones; a quarter of
  // the drawn ones are grants.
  const char* broad[] = {
      R"({"action": "accept", "src": ["group:admins"], "dst": ["*:*"]})",
      R"({"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]})",
      R"({"action": "accept", "src": ["autogroup:member"], "dst": ["tag:dns:53"]})",
      R"({"action": "accept", "src": ["autogroup:member"], "dst": ["tag:proxy:80,443"]})",
      R"({"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:internet:*"]})",
      R"({"action": "accept", "src": ["tag:monitoring"], "dst": ["*:9100"]})",
      R"({"action": "accept", "src": ["group:sre"], "dst": ["tag:router:22", "tag:exit:22"]})",
  };
  std::vector<std::string> acls, grants;
  for (const char* b : broad) {
    if (acls.size() < n_rules) acls.push_back(b);
  }
  while (acls.size() + grants.size() < n_rules) {
    Draft d = draft_rule(s, rng);
    if (rng.chance(25))
      grants.push_back(grant_text(d));
    else
      acls.push_back(acl_text(d));
  }
  out += "  \"acls\": [\n";
  for (const std::string& a : acls) out += "    " + a + ",\n";
  out += "  ],\n\n  \"grants\": [\n";
  for (const std::string& g : grants) out += "    " + g + ",\n";
  out += "  ],\n\n  \"ssh\": [\n";
  out += "    {\"action\": \"check\", \"src\": [\"autogroup:member\"], \"dst\": "
         "[\"autogroup:self\"], \"users\": [\"autogroup:nonroot\", \"root\"]},\n";
  out += "    {\"action\": \"accept\", \"src\": [\"group:sre\"], \"dst\": [\"tag:router\"], "
         "\"users\": [\"root\"]},\n";
  out += "  ],\n}\n";
  return out;
}

}  // namespace

Generated realistic_tailnet(size_t n_devices, size_t n_rules, Rng& rng, const std::string& header) {
  Shape s = make_shape(n_devices, rng);
  Generated g;
  g.policy = policy_text(s, n_rules, rng, header);
  g.tailnet = std::move(s.t);
  return g;
}

}  // namespace gen
