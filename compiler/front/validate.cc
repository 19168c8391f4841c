#include "compiler/front/validate.h"

#include <map>

#include "compiler/front/duration.h"
#include "compiler/front/selector.h"

namespace aclc::policy {
namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// Where a selector appears, which decides the forms it may take.
enum class Site {
  AclSrc, AclDst, GrantSrc, GrantDst, SshSrc, TagOwner, AutoApprover,
  NodeAttr, SrcPosture,
};

bool is_src(Site s) {
  return s == Site::AclSrc || s == Site::GrantSrc || s == Site::SshSrc;
}
bool is_dst(Site s) { return s == Site::AclDst || s == Site::GrantDst; }

const char* kSelfSrcMessage =
    "\"autogroup:self\" not valid on the src side of a rule";
const char* kSelfComboMessage =
    "autogroup:self can only be used with users, groups, or supported "
    "autogroups";

class Validator {
 public:
  Validator(const Policy& p, Diagnostics& d) : p_(p), d_(d) {}

  void run() {
    groups();
    tag_owners();
    ipsets();
    postures();
    for (const auto& s : p_.default_src_posture) ref(s, Site::SrcPosture, "");
    auto_approvers();
    acls();
    grants();
    ssh();
    node_attrs();
    ssh_tests();
  }

 private:
  void error(Pos pos, std::string msg, std::string code,
             std::string hint = "") {
    d_.add(Diagnostic{Severity::Error, p_.file, pos, std::move(msg),
                      std::move(code), std::move(hint)});
  }

  bool tailscale() const { return p_.dialect == Dialect::Tailscale; }

  // Reference and placement checks for one selector. `prefix` is put in
  // front of reference errors the way Tailscale does ("src=", "dst=\"x\": ").
  void ref(const Selector& s, Site site, const std::string& prefix) {
    switch (s.kind) {
      case SelectorKind::Tag:
        if (!p_.find_tag(s.name))
          error(s.pos, prefix + "tag not found: " + quoted(s.name), "undefined-tag",
                "declare it in \"tagOwners\", e.g. \"tagOwners\": {" +
                    quoted(s.name) + ": [\"autogroup:admin\"]}");
        return;
      case SelectorKind::Group:
        if (!p_.find_group(s.name))
          error(s.pos, prefix + "group not found: " + quoted(s.name),
                "undefined-group", "define it in \"groups\"");
        return;
      case SelectorKind::IPSet:
        if (!p_.find_ipset(s.name))
          error(s.pos, prefix + "ipset not found: " + quoted(s.name),
                "undefined-ipset", "define it in \"ipsets\"");
        return;
      case SelectorKind::Posture:
        if (site != Site::SrcPosture)
          error(s.pos, prefix + quoted(s.text) +
                           ": postures can only be used in srcPosture",
                "misplaced-posture");
        else if (!p_.find_posture(s.name))
          error(s.pos, "posture not found: " + quoted(s.name),
                "undefined-posture", "define it in \"postures\"");
        return;
      case SelectorKind::Name:
        name_ref(s, site, prefix);
        return;
      case SelectorKind::Autogroup:
        autogroup_ref(s, site, prefix);
        return;
      default:
        if (site == Site::SrcPosture)
          error(s.pos, quoted(s.text) + ": srcPosture entries must be postures",
                "invalid-posture", "e.g. \"posture:latestMac\"");
        return;
    }
  }

  void name_ref(const Selector& s, Site site, const std::string& prefix) {
    if (s.host_alias) return;
    if (!plausible_device_name(s.name) || (site == Site::NodeAttr && tailscale())) {
      error(s.pos, quoted(s.text) + ": invalid address", "invalid-address");
      return;
    }
    if (site == Site::SrcPosture) {
      error(s.pos, quoted(s.text) + ": srcPosture entries must be postures",
            "invalid-posture");
      return;
    }
    if (site == Site::TagOwner || site == Site::AutoApprover) {
      error(s.pos, prefix + quoted(s.text) + ": not a user, group, tag or autogroup",
            "invalid-owner");
      return;
    }
    if (tailscale())
      error(s.pos, prefix + "host not defined in policy: " + quoted(s.name),
            "undefined-host",
            "Tailscale has no device names in rules: add \"hosts\": {" +
                quoted(s.name) +
                ": \"<its Tailscale IP>\"}, or tag the device and use the tag");
    // aclc dialect: a device name, resolved against the inventory.
  }

  void autogroup_ref(const Selector& s, Site site, const std::string& prefix) {
    const std::string& n = s.name;
    if (!known_autogroup(n) || n == "nonroot") {
      error(s.pos, prefix + "autogroup " + quoted(s.text) + " is not valid",
            "unknown-autogroup",
            "autogroups are member, tagged, self, internet, danger-all, "
            "shared, and the roles admin, owner, it-admin, network-admin, "
            "billing-admin, auditor");
      return;
    }
    if (n == "self" && is_src(site)) {
      error(s.pos, kSelfSrcMessage, "self-src",
            "autogroup:self is a destination; use autogroup:member as the "
            "source");
    } else if (n == "self" && (site == Site::TagOwner || site == Site::AutoApprover)) {
      error(s.pos, prefix + quoted(s.text) + " is not valid here", "misplaced-autogroup");
    } else if (n == "internet" && !is_dst(site)) {
      error(s.pos, "autogroup:internet can only be used in ACL destinations",
            "internet-src");
    } else if (n == "danger-all" && is_dst(site)) {
      error(s.pos, "cannot use autogroup:danger-all as a dst", "danger-all-dst",
            "use \"*\" for every Tailscale address, or autogroup:internet");
    } else if (n == "self" && site == Site::NodeAttr) {
      error(s.pos, "autogroup:self cannot be a nodeAttrs target",
            "self-node-attr",
            "Tailscale's control plane fails on this with HTTP 500 "
            "\"internal server error\"; target autogroup:member instead");
    }
  }

  void groups() {
    for (const auto& g : p_.groups) {
      std::string where = "groups[" + quoted(g.name.text) + "]: ";
      if (!starts_with(g.name.text, "group:")) {
        error(g.name.pos, where + "group names must start with 'group:'",
              "group-name");
      }
      for (const auto& m : g.members) {
        switch (m.kind) {
          case SelectorKind::User:
            break;
          case SelectorKind::Group:
            error(m.pos, where + quoted(m.text) +
                             ": group members cannot be recursive",
                  "nested-group", "list the users of " + m.text + " instead");
            break;
          case SelectorKind::Name:
            if (!plausible_device_name(m.name)) {
              error(m.pos, where + quoted(m.text) + ": invalid group member",
                    "invalid-group-member");
            } else if (tailscale()) {
              error(m.pos,
                    where + "username must contain @, got: " + quoted(m.text),
                    "device-in-group",
                    "Tailscale groups hold users only: tag the device (e.g. "
                    "\"tag:" + m.text +
                        "\") and use the tag where the group is used");
            }
            break;
          default:
            error(m.pos, where + quoted(m.text) +
                             ": group members must be users",
                  "invalid-group-member");
        }
      }
    }
  }

  void tag_owners() {
    for (const auto& t : p_.tag_owners) {
      std::string where = "tagOwners[" + quoted(t.name.text) + "]: ";
      if (auto err = check_tag_name(t.name.text))
        error(t.name.pos, where + *err, "tag-name");
      for (const auto& o : t.owners) {
        if (o.kind == SelectorKind::Tag && o.name == t.name.text) continue;
        owner_ref(o, Site::TagOwner, where);
      }
    }
  }

  void owner_ref(const Selector& o, Site site, const std::string& where) {
    switch (o.kind) {
      case SelectorKind::User:
      case SelectorKind::UserDomain:
      case SelectorKind::Group:
      case SelectorKind::Tag:
      case SelectorKind::Autogroup:
      case SelectorKind::Name:
        ref(o, site, where);
        return;
      default:
        error(o.pos, where + quoted(o.text) +
                         ": not a user, group, tag or autogroup",
              "invalid-owner");
    }
  }

  void ipsets() {
    for (const auto& d : p_.ipsets) {
      std::string where = "ipsets[" + quoted(d.name.text) + "]: ";
      if (!starts_with(d.name.text, "ipset:"))
        error(d.name.pos, where + "ipset names must start with 'ipset:'",
              "ipset-name");
      for (const auto& e : d.entries) {
        const Selector& s = e.target;
        switch (s.kind) {
          case SelectorKind::Prefix:
          case SelectorKind::Range:
            break;
          case SelectorKind::Name:
            if (!s.host_alias)
              error(s.pos, where + "host not defined in policy: " + quoted(s.name),
                    "undefined-host");
            break;
          case SelectorKind::IPSet:
            if (!p_.find_ipset(s.name))
              error(s.pos, where + "ipset not found: " + quoted(s.name),
                    "undefined-ipset");
            break;
          case SelectorKind::Autogroup:
            if (s.name != "internet")
              error(s.pos, where + quoted(s.text) + ": not allowed in an ipset",
                    "invalid-ipset-entry");
            break;
          default:
            error(s.pos, where + quoted(s.text) + ": not allowed in an ipset",
                  "invalid-ipset-entry",
                  "an ipset holds addresses, prefixes, ranges, hosts, other "
                  "ipsets and autogroup:internet");
        }
      }
    }
    // No cycles: a depth-first walk with colours; the depth is bounded by
    // the number of sets, and each set is finished once.
    std::map<std::string, int> colour;  // 0 new, 1 on stack, 2 done
    for (const auto& d : p_.ipsets) ipset_cycle(d, colour);
  }

  void ipset_cycle(const IPSetDef& d, std::map<std::string, int>& colour) {
    struct Frame {
      const IPSetDef* def;
      size_t next;
    };
    if (colour[d.name.text] != 0) return;
    std::vector<Frame> stack{{&d, 0}};
    colour[d.name.text] = 1;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.def->entries.size()) {
        colour[f.def->name.text] = 2;
        stack.pop_back();
        continue;
      }
      const Selector& s = f.def->entries[f.next++].target;
      if (s.kind != SelectorKind::IPSet) continue;
      const IPSetDef* child = p_.find_ipset(s.name);
      if (!child) continue;
      int& c = colour[child->name.text];
      if (c == 1) {
        error(s.pos, "ipsets[" + quoted(f.def->name.text) + "]: " +
                         quoted(s.name) + ": ipsets cannot be recursive",
              "ipset-cycle");
      } else if (c == 0) {
        c = 1;
        stack.push_back({child, 0});
      }
    }
  }

  void postures() {
    for (const auto& p : p_.postures) {
      std::string where = "postures[" + quoted(p.name.text) + "]: ";
      if (!starts_with(p.name.text, "posture:"))
        error(p.name.pos, where + "posture names must start with 'posture:'",
              "posture-name");
      for (const auto& a : p.assertions)
        if (a.text.empty())
          error(a.pos, where + "empty posture assertion", "posture-assertion");
    }
  }

  void auto_approvers() {
    for (const auto& r : p_.auto_approvers.routes)
      for (const auto& a : r.approvers) owner_ref(a, Site::AutoApprover, "");
    for (const auto& a : p_.auto_approvers.exit_node)
      owner_ref(a, Site::AutoApprover, "");
  }

  static std::string dst_prefix(const Selector& s) {
    return "dst=" + quoted(s.text) + ": ";
  }

  // autogroup:self as a destination needs sources that are people.
  void self_sources(const std::vector<Selector>& src, const Selector& self_dst,
                    bool allow_wildcard) {
    for (const auto& s : src) {
      bool ok = s.kind == SelectorKind::User || s.kind == SelectorKind::UserDomain ||
                s.kind == SelectorKind::Group ||
                (s.kind == SelectorKind::Autogroup &&
                 (s.name == "member" || s.name == "members")) ||
                (allow_wildcard && s.kind == SelectorKind::Wildcard);
      if (!ok) {
        error(self_dst.pos, kSelfComboMessage, "self-sources",
              "source " + quoted(s.text) +
                  " is not a user, group or autogroup:member; move it to a "
                  "separate rule");
        return;
      }
    }
  }

  void acls() {
    for (const auto& r : p_.acls) {
      for (const auto& s : r.src) ref(s, Site::AclSrc, "src=");
      const Selector* self = nullptr;
      for (const auto& d : r.dst) {
        ref(d.target, Site::AclDst, dst_prefix(d.target));
        if (d.target.kind == SelectorKind::Autogroup && d.target.name == "self" && !self)
          self = &d.target;
      }
      if (self) self_sources(r.src, *self, /*allow_wildcard=*/true);
      for (const auto& s : r.src_posture) ref(s, Site::SrcPosture, "");
    }
  }

  void grants() {
    for (const auto& g : p_.grants) {
      for (const auto& s : g.src) ref(s, Site::GrantSrc, "src=");
      const Selector* self = nullptr;
      const Selector* internet = nullptr;
      for (const auto& d : g.dst) {
        if (d.kind == SelectorKind::Prefix && d.prefix.bits == 0) {
          error(d.pos, "dst " + quoted(d.text) +
                           ": to allow all IP addresses, use \"*\" or "
                           "\"autogroup:internet\"",
                "all-addresses-dst");
          continue;
        }
        ref(d, Site::GrantDst, dst_prefix(d));
        if (d.kind == SelectorKind::Autogroup && d.name == "self" && !self) self = &d;
        if (d.kind == SelectorKind::Autogroup && d.name == "internet" && !internet)
          internet = &d;
      }
      if (self) self_sources(g.src, *self, /*allow_wildcard=*/false);
      if (g.ip_written == 0 && g.app.empty())
        error(g.pos, "ip and app can not both be empty", "empty-grant",
              "add \"ip\": [\"*\"] (all ports) or an \"app\" capability");
      for (const auto& cap : g.app) capability_name(cap.name);
      if (internet && !g.app.empty())
        error(internet->pos, "cannot use app grants with autogroup:internet",
              "app-internet");
      for (const auto& v : g.via) {
        if (v.kind != SelectorKind::Tag)
          error(v.pos, "via can only be a tag", "via-not-tag");
        else if (!p_.find_tag(v.name))
          error(v.pos, "tag " + quoted(v.name) + " not found", "undefined-tag");
      }
      for (const auto& s : g.src_posture) ref(s, Site::SrcPosture, "");
    }
  }

  void capability_name(const Str& name) {
    const std::string& n = name.text;
    size_t slash = n.find('/');
    bool ok = slash != std::string::npos && slash > 0 && slash + 1 < n.size();
    if (ok) {
      for (size_t i = 0; i < slash; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.'))
          ok = false;
      }
    }
    if (!ok) {
      error(name.pos, "capability name must have the form {domain}/{path}",
            "capability-name", "e.g. \"example.com/cap/webapp\"");
      return;
    }
    std::string domain = n.substr(0, slash);
    for (char& c : domain)
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    if (domain != "tailscale.com") return;
    static const char* const kAllowed[] = {
        "cap/webui", "cap/relay",      "cap/drive",
        "cap/drive-sharer", "cap/kubernetes", "cap/tsidp",
    };
    std::string path = n.substr(slash + 1);
    for (const char* a : kAllowed)
      if (path == a) return;
    error(name.pos, "capability name must not be in the tailscale.com domain",
          "capability-domain");
  }

  void ssh() {
    for (const auto& r : p_.ssh) {
      for (const auto& s : r.src) {
        if (s.kind == SelectorKind::Wildcard) continue;
        ref(s, Site::SshSrc, "src=");
      }
      for (const auto& d : r.dst) {
        bool ok = d.kind == SelectorKind::Tag || d.kind == SelectorKind::User ||
                  (d.kind == SelectorKind::Autogroup &&
                   (d.name == "self" || d.name == "member" || d.name == "members" ||
                    d.name == "tagged"));
        if (!ok) {
          error(d.pos, "invalid dst " + quoted(d.text), "ssh-dst",
                "an SSH destination is a tag, a user, autogroup:self, "
                "autogroup:member or autogroup:tagged");
        } else if (d.kind == SelectorKind::Tag && !p_.find_tag(d.name)) {
          error(d.pos, dst_prefix(d) + "tag not found: " + quoted(d.name),
                "undefined-tag");
        }
      }
      if (r.check_period && !r.check_period->text.empty() &&
          r.check_period->text != "always") {
        const Str& cp = *r.check_period;
        std::string err;
        auto ns = parse_go_duration(cp.text, &err);
        constexpr int64_t kMax = int64_t(168) * 3600 * 1000000000;
        if (!ns) {
          error(cp.pos, err, "check-period");
        } else if (*ns < 0) {
          error(cp.pos, "checkPeriod " + format_go_duration(*ns) +
                            " must be a positive duration",
                "check-period");
        } else if (*ns > kMax) {
          error(cp.pos, "checkPeriod " + format_go_duration(*ns) +
                            " is above the max (168h)",
                "check-period");
        }
      }
      for (const auto& s : r.src_posture) ref(s, Site::SrcPosture, "");
    }
  }

  void node_attrs() {
    for (const auto& a : p_.node_attrs) {
      for (const auto& t : a.target) {
        if (t.kind == SelectorKind::Tag && !p_.find_tag(t.name)) {
          error(t.pos, "tag not found: " + quoted(t.name), "undefined-tag");
          continue;
        }
        ref(t, Site::NodeAttr, "");
      }
      for (const auto& pool : a.ip_pool) {
        std::string where = "IPPool(" + pool.text + "): ";
        auto p = parse_prefix(pool.text);
        if (!p) {
          error(pool.pos, where + "invalid prefix", "ip-pool");
          continue;
        }
        if (!cgnat_prefix().contains(p->first()) ||
            !cgnat_prefix().contains(p->last())) {
          error(pool.pos, where + "network not within " + to_string(cgnat_prefix()),
                "ip-pool");
          continue;
        }
        static const Prefix kReserved[] = {
            *parse_prefix("100.100.100.0/24"),  // Tailscale's service address
            *parse_prefix("100.115.92.0/23"),   // ChromeOS VMs
        };
        for (const auto& r : kReserved) {
          if (p->overlaps(r)) {
            error(pool.pos, where + "network within reserved range", "ip-pool");
            break;
          }
        }
      }
    }
  }

  void ssh_tests() {
    for (const auto& t : p_.ssh_tests) {
      for (const auto& d : t.dst) {
        std::string err;
        auto s = classify_selector(d.text, d.pos, &err);
        if (!s) continue;  // a test failure when the test runs
        bool disallowed =
            (s->kind == SelectorKind::Prefix && !s->prefix.is_single_addr() ) ||
            s->kind == SelectorKind::Range ||
            (s->kind == SelectorKind::Autogroup && s->name == "internet");
        if (disallowed) {
          error(d.pos, "SSH tests dst contains disallowed element " + quoted(d.text),
                "ssh-test-dst");
        } else if (s->kind == SelectorKind::Tag && !p_.find_tag(s->name)) {
          error(d.pos, "SSH tests dst contains unknown tag " + quoted(d.text),
                "ssh-test-dst");
        }
      }
    }
  }

  const Policy& p_;
  Diagnostics& d_;
};

bool domain_known(std::string_view domain, const std::vector<std::string>& known) {
  auto lower = [](std::string_view s) {
    std::string o(s);
    for (char& c : o)
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    return o;
  };
  std::string d = lower(domain);
  for (const auto& k : known)
    if (lower(k) == d) return true;
  return false;
}

std::string not_associated(std::string_view domain) {
  return std::string(domain) +
         " is not associated with this Tailnet and cannot be used in "
         "user:*@<domain> expressions";
}

}  // namespace

void validate_policy(const Policy& policy, Diagnostics& diags) {
  Validator(policy, diags).run();
}

void check_ssh_user_domains(const Policy& policy,
                            const std::vector<std::string>& user_domains,
                            Diagnostics& diags) {
  const std::string hint =
      "only the tailnet's own domains can be used in domain wildcards";
  auto check = [&](const std::vector<Selector>& v, const char* prefix) {
    for (const auto& s : v)
      if (s.kind == SelectorKind::UserDomain && !domain_known(s.name, user_domains))
        diags.add(Diagnostic{Severity::Error, policy.file, s.pos,
                             prefix + not_associated(s.name), "foreign-domain",
                             hint});
  };
  for (const auto& r : policy.acls) check(r.src, "");
  for (const auto& g : policy.grants) check(g.src, "");
  for (const auto& r : policy.ssh) {
    check(r.src, "[ssh] ");
    check(r.dst, "[ssh] ");
    for (const auto& u : r.users) {
      constexpr std::string_view kLocal = "localpart:*@";
      if (!starts_with(u.text, kLocal)) continue;
      std::string_view domain = std::string_view(u.text).substr(kLocal.size());
      if (domain.empty()) continue;  // Tailscale accepts "localpart:*@"
      if (!domain_known(domain, user_domains))
        diags.add(Diagnostic{Severity::Error, policy.file, u.pos,
                             not_associated(domain), "foreign-domain", hint});
    }
  }
}

}  // namespace aclc::policy
