#include "compiler/front/policy_load.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "compiler/front/decode.h"
#include "compiler/front/ports.h"
#include "compiler/front/proto.h"
#include "compiler/front/selector.h"
#include "compiler/front/validate.h"

namespace aclc::policy {
namespace {

using hujson::Kind;
using hujson::Member;
using hujson::Value;

// Top-level keys that decide nothing about access; decoded for shape only.
// Keep this list complete: rejecting a valid policy is the worst failure.
struct PassthroughKey {
  const char* name;
  Kind kind;
};
constexpr PassthroughKey kPassthrough[] = {
    {"derpMap", Kind::Object},     {"disableIPv4", Kind::Bool},
    {"randomizeClientPort", Kind::Bool}, {"OneCGNATRoute", Kind::String},
    {"attrConfig", Kind::Object},  {"nodeVisibility", Kind::String},
};

class Loader {
 public:
  Loader(Policy& p, const DecodeSink& sink) : p_(p), sink_(sink) {}

  void load(const Value& root) {
    ObjectFields f(root,
                   {"acls", "grants", "ssh", "groups", "tagOwners", "hosts",
                    "ipsets", "postures", "defaultSrcPosture", "autoApprovers",
                    "nodeAttrs", "tests", "sshTests", "derpMap", "disableIPv4",
                    "randomizeClientPort", "OneCGNATRoute", "attrConfig",
                    "nodeVisibility", "assertions"},
                   "policy", sink_);
    if (const Member* m = f.get("assertions")) {
      if (p_.dialect == Dialect::Tailscale) {
        sink_.decode->add(Diagnostic{
            Severity::Error, sink_.file, m->key_pos,
            "json: unknown field \"" + m->key + "\"", "unknown-field",
            "\"assertions\" is an aclc extension: check them with `aclc "
            "verify` and remove the section before sending the policy to "
            "Tailscale"});
      } else {
        p_.assertions = m->value;
      }
    }
    // Definitions first, so that rules can be classified against them.
    if (auto* m = f.get("groups")) groups(m->value);
    if (auto* m = f.get("tagOwners")) tag_owners(m->value);
    if (auto* m = f.get("hosts")) hosts(m->value);
    if (auto* m = f.get("ipsets")) ipsets(m->value);
    if (auto* m = f.get("postures")) postures(m->value);
    if (auto* m = f.get("defaultSrcPosture"))
      p_.default_src_posture = selectors(m->value, "defaultSrcPosture");
    if (auto* m = f.get("autoApprovers")) auto_approvers(m->value);
    if (auto* m = f.get("acls")) {
      p_.has_acls = true;
      acls(m->value);
    }
    if (auto* m = f.get("grants")) {
      p_.has_grants = true;
      grants(m->value);
    }
    if (auto* m = f.get("ssh")) {
      p_.has_ssh = true;
      ssh(m->value);
    }
    if (auto* m = f.get("nodeAttrs")) node_attrs(m->value);
    if (auto* m = f.get("tests")) tests(m->value);
    if (auto* m = f.get("sshTests")) ssh_tests(m->value);
    for (const auto& key : kPassthrough) {
      if (const Member* m = f.get(key.name)) {
        expect_kind(m->value, key.kind, key.name, hujson::kind_name(key.kind),
                    sink_);
        p_.passthrough.push_back(*m);
      }
    }
    p_.reindex();
    resolve_host_aliases();
  }

 private:
  void error(Pos pos, std::string msg, std::string code = "",
             std::string hint = "") {
    sink_.validate->add(Diagnostic{Severity::Error, sink_.file, pos,
                                   std::move(msg), std::move(code),
                                   std::move(hint)});
  }

  Str str(const PosString& s) {
    return Str{std::string(trim_space(s.text)), s.pos};
  }

  std::vector<Str> strs(const Value& v, const char* what) {
    std::vector<Str> out;
    for (const auto& s : decode_string_list(v, what, sink_)) out.push_back(str(s));
    return out;
  }

  std::optional<Selector> selector(const PosString& s, const char* prefix = "") {
    std::string err;
    auto sel = classify_selector(trim_space(s.text), s.pos, &err);
    if (!sel) error(s.pos, prefix + err, "invalid-selector");
    return sel;
  }

  std::vector<Selector> selectors(const Value& v, const char* what,
                                  const char* prefix = "") {
    std::vector<Selector> out;
    for (const auto& s : decode_string_list(v, what, sink_))
      if (auto sel = selector(s, prefix)) out.push_back(std::move(*sel));
    return out;
  }

  // Map sections ({"name": value}): keys are exact (Go map keys), a repeated
  // key replaces the earlier one, with a warning.
  template <typename T>
  void put_named(std::vector<T>& list, T item, const Member& m) {
    auto& index = seen_[&list];
    auto [it, fresh] = index.emplace(item.name.text, list.size());
    if (!fresh) {
      T& old = list[it->second];
      sink_.decode->warning(sink_.file, old.name.pos,
                            "duplicate key \"" + old.name.text +
                                "\": this definition is replaced by the one "
                                "at " + std::to_string(m.key_pos.line) + ":" +
                                std::to_string(m.key_pos.col),
                            "duplicate-key");
      old = std::move(item);
      return;
    }
    list.push_back(std::move(item));
  }

  void groups(const Value& v) {
    if (!expect_kind(v, Kind::Object, "groups", "map[string][]string", sink_))
      return;
    for (const auto& m : v.members) {
      Group g;
      g.name = Str{m.key, m.key_pos};
      for (const auto& s : decode_string_list(m.value, "groups", sink_)) {
        std::string_view t = trim_space(s.text);
        Selector sel;
        sel.text = std::string(t);
        sel.pos = s.pos;
        if (t.find('@') != std::string_view::npos) {
          sel.kind = SelectorKind::User;
          sel.name = sel.text;
        } else if (t.substr(0, 6) == "group:" || t.substr(0, 4) == "tag:" ||
                   t.substr(0, 10) == "autogroup:") {
          // Classified so validation can name the problem.
          std::string err;
          auto c = classify_selector(t, s.pos, &err);
          if (!c) continue;
          sel = *c;
        } else {
          sel.kind = SelectorKind::Name;
          sel.name = sel.text;
        }
        g.members.push_back(std::move(sel));
      }
      put_named(p_.groups, std::move(g), m);
    }
  }

  void tag_owners(const Value& v) {
    if (!expect_kind(v, Kind::Object, "tagOwners", "map[string][]string", sink_))
      return;
    for (const auto& m : v.members) {
      TagOwner t;
      t.name = Str{m.key, m.key_pos};
      t.owners = selectors(m.value, "tagOwners");
      put_named(p_.tag_owners, std::move(t), m);
    }
  }

  void hosts(const Value& v) {
    if (!expect_kind(v, Kind::Object, "hosts", "map[string]string", sink_))
      return;
    for (const auto& m : v.members) {
      auto value = decode_string(m.value, "hosts", sink_);
      if (!value) continue;
      Host h;
      h.name = Str{m.key, m.key_pos};
      h.value = Str{std::string(trim_space(*value)), m.value.pos};
      if (auto p = parse_addr_or_prefix(h.value.text)) {
        h.prefix = p->masked();
      } else {
        error(m.value.pos,
              "hosts[\"" + m.key + "\"]: \"" + h.value.text +
                  "\": hostname contains invalid IP address",
              "invalid-host",
              "a host is an IP address or a CIDR prefix, e.g. "
              "\"100.64.0.1\" or \"10.0.0.0/24\"");
        continue;
      }
      put_named(p_.hosts, std::move(h), m);
    }
  }

  void ipsets(const Value& v) {
    if (!expect_kind(v, Kind::Object, "ipsets", "map[string][]string", sink_))
      return;
    for (const auto& m : v.members) {
      IPSetDef d;
      d.name = Str{m.key, m.key_pos};
      for (const auto& s : decode_string_list(m.value, "ipsets", sink_)) {
        std::string_view t = trim_space(s.text);
        IPSetEntry e;
        if (t.substr(0, 4) == "add " || t.substr(0, 4) == "add\t") {
          t = trim_space(t.substr(4));
        } else if (t.substr(0, 7) == "remove " || t.substr(0, 7) == "remove\t") {
          e.op = IPSetOp::Remove;
          t = trim_space(t.substr(7));
        }
        // "host:<name>" is how Tailscale's announcement spells a host alias.
        if (t.substr(0, 5) == "host:") t = t.substr(5);
        std::string err;
        auto sel = classify_selector(t, s.pos, &err);
        if (!sel) {
          error(s.pos, "ipsets[\"" + m.key + "\"]: " + err, "invalid-ipset");
          continue;
        }
        e.target = std::move(*sel);
        d.entries.push_back(std::move(e));
      }
      put_named(p_.ipsets, std::move(d), m);
    }
  }

  void postures(const Value& v) {
    if (!expect_kind(v, Kind::Object, "postures", "map[string][]string", sink_))
      return;
    for (const auto& m : v.members) {
      Posture p;
      p.name = Str{m.key, m.key_pos};
      p.assertions = strs(m.value, "postures");
      put_named(p_.postures, std::move(p), m);
    }
  }

  void auto_approvers(const Value& v) {
    ObjectFields f(v, {"routes", "exitNode", "services"}, "autoApprovers",
                   sink_);
    if (auto* m = f.get("routes")) {
      if (expect_kind(m->value, Kind::Object, "autoApprovers.routes",
                      "map[string][]string", sink_)) {
        for (const auto& r : m->value.members) {
          AutoApprovers::Route route;
          route.cidr = Str{std::string(trim_space(r.key)), r.key_pos};
          if (auto p = parse_addr_or_prefix(route.cidr.text)) {
            route.prefix = *p;
          } else {
            error(r.key_pos,
                  "autoApprovers.routes: \"" + r.key + "\": invalid prefix",
                  "invalid-prefix");
          }
          route.approvers = selectors(r.value, "autoApprovers.routes");
          p_.auto_approvers.routes.push_back(std::move(route));
        }
      }
    }
    if (auto* m = f.get("exitNode"))
      p_.auto_approvers.exit_node = selectors(m->value, "autoApprovers.exitNode");
    if (auto* m = f.get("services")) {
      expect_kind(m->value, Kind::Object, "autoApprovers.services",
                  "map[string][]string", sink_);
      p_.auto_approvers.services = m->value;
    }
  }

  std::optional<Proto> proto(const Value& v, const char* what) {
    auto s = decode_string(v, what, sink_);
    if (!s) return std::nullopt;
    std::string t(trim_space(*s));
    if (t.empty()) return std::nullopt;
    std::string err;
    auto n = parse_proto_number(t, &err);
    if (!n) {
      error(v.pos, err, "invalid-proto");
      return std::nullopt;
    }
    if (*n == 0) return std::nullopt;  // 0 means the default protocols
    return Proto{*n, t, v.pos};
  }

  void acls(const Value& v) {
    if (!expect_kind(v, Kind::Array, "acls", "[]ACL", sink_)) return;
    for (size_t i = 0; i < v.items.size(); i++) {
      const Value& item = v.items[i];
      ObjectFields f(item,
                     {"action", "src", "dst", "users", "ports", "proto",
                      "srcPosture"},
                     "acls", sink_);
      if (!item.is_object()) continue;
      AclRule r;
      r.pos = item.pos;
      r.index = i;
      r.action_pos = item.pos;
      std::string action;
      if (auto* m = f.get("action")) {
        r.action_pos = m->value.pos;
        if (auto s = decode_string(m->value, "acls.action", sink_))
          action = std::string(trim_space(*s));
      }
      if (action == "accept") {
        r.action = Action::Accept;
      } else if (action == "deny" && p_.dialect == Dialect::Aclc) {
        r.action = Action::Deny;
      } else {
        std::string hint;
        if (action == "deny")
          hint = "Tailscale has no deny rules: remove the rule (Tailscale "
                 "denies by default) or narrow the accepts above it; `aclc "
                 "lower` rewrites the policy as accept-only";
        else
          hint = "use \"accept\"";
        error(r.action_pos, "action=\"" + action + "\" is not supported",
              "unsupported-action", hint);
      }
      // Legacy names: "users" for src and "ports" for dst; Go's decoder
      // fills both fields and the newer one wins when both are present.
      const Member* src = f.get("src") ? f.get("src") : f.get("users");
      const Member* dst = f.get("dst") ? f.get("dst") : f.get("ports");
      if (src) r.src = selectors(src->value, "acls.src", "src=");
      if (dst) {
        for (const auto& s : decode_string_list(dst->value, "acls.dst", sink_)) {
          if (auto d = dst_selector(s)) r.dst.push_back(std::move(*d));
        }
      }
      if (auto* m = f.get("proto")) r.proto = proto(m->value, "acls.proto");
      if (auto* m = f.get("srcPosture"))
        r.src_posture = selectors(m->value, "acls.srcPosture");
      p_.acls.push_back(std::move(r));
    }
  }

  std::optional<DstSelector> dst_selector(const PosString& s) {
    std::string_view t = trim_space(s.text);
    std::string prefix = "dst=\"" + std::string(t) + "\": ";
    std::string err;
    auto hp = split_host_ports(t, &err);
    if (!hp) {
      error(s.pos, prefix + err, "invalid-dst",
            "an ACL destination is \"<target>:<ports>\", e.g. \"" +
                std::string(t) + ":*\"");
      return std::nullopt;
    }
    auto ports = parse_port_list(hp->ports, &err);
    if (!ports) {
      error(s.pos, prefix + err, "invalid-ports");
      return std::nullopt;
    }
    auto target = classify_selector(trim_space(hp->host), s.pos, &err);
    if (!target) {
      error(s.pos, prefix + err, "invalid-selector");
      return std::nullopt;
    }
    return DstSelector{std::move(*target), std::move(*ports), s.pos};
  }

  std::vector<AppCap> app_caps(const Value& v, const char* what) {
    std::vector<AppCap> out;
    if (!expect_kind(v, Kind::Object, what, "map[string][]object", sink_))
      return out;
    for (const auto& m : v.members) {
      AppCap cap;
      cap.name = Str{m.key, m.key_pos};
      if (expect_kind(m.value, Kind::Array, what, "[]object", sink_))
        cap.values = m.value.items;
      out.push_back(std::move(cap));
    }
    return out;
  }

  void grants(const Value& v) {
    if (!expect_kind(v, Kind::Array, "grants", "[]Grant", sink_)) return;
    for (size_t i = 0; i < v.items.size(); i++) {
      const Value& item = v.items[i];
      ObjectFields f(item, {"src", "dst", "ip", "app", "via", "srcPosture"},
                     "grants", sink_);
      if (!item.is_object()) continue;
      Grant g;
      g.pos = item.pos;
      g.index = i;
      if (auto* m = f.get("src")) g.src = selectors(m->value, "grants.src", "src=");
      if (auto* m = f.get("dst")) g.dst = selectors(m->value, "grants.dst", "dst=");
      if (auto* m = f.get("ip")) {
        for (const auto& s : decode_string_list(m->value, "grants.ip", sink_)) {
          g.ip_written++;
          std::string err;
          auto ip = parse_grant_ip(trim_space(s.text), s.pos, &err);
          if (ip)
            g.ip.push_back(std::move(*ip));
          else  // Tailscale parses these while decoding the JSON
            sink_.decode->error(sink_.file, s.pos, err, "invalid-ip",
                  "a grant's ip entry is \"*\", \"<port>\", \"<first>-<last>\" "
                  "or \"<proto>:<ports>\", e.g. \"tcp:443\" or \"icmp:*\"");
        }
      }
      if (auto* m = f.get("app")) g.app = app_caps(m->value, "grants.app");
      if (auto* m = f.get("via")) g.via = selectors(m->value, "grants.via");
      if (auto* m = f.get("srcPosture"))
        g.src_posture = selectors(m->value, "grants.srcPosture");
      p_.grants.push_back(std::move(g));
    }
  }

  void ssh(const Value& v) {
    if (!expect_kind(v, Kind::Array, "ssh", "[]SSHRule", sink_)) return;
    for (size_t i = 0; i < v.items.size(); i++) {
      const Value& item = v.items[i];
      ObjectFields f(item,
                     {"action", "src", "dst", "users", "checkPeriod",
                      "acceptEnv", "srcPosture", "recorder", "enforceRecorder"},
                     "ssh", sink_);
      if (!item.is_object()) continue;
      SshRule r;
      r.pos = item.pos;
      r.index = i;
      std::string action;
      Pos action_pos = item.pos;
      if (auto* m = f.get("action")) {
        action_pos = m->value.pos;
        if (auto s = decode_string(m->value, "ssh.action", sink_))
          action = std::string(trim_space(*s));
      }
      if (action == "accept") {
        r.action = SshAction::Accept;
      } else if (action == "check") {
        r.action = SshAction::Check;
      } else if (action.empty()) {
        error(action_pos, "action must be specified", "ssh-action",
              "use \"accept\" or \"check\"");
      } else {
        error(action_pos, "\"" + action + "\" is not a valid action",
              "ssh-action", "use \"accept\" or \"check\"");
      }
      if (auto* m = f.get("src")) r.src = selectors(m->value, "ssh.src");
      if (auto* m = f.get("dst")) r.dst = selectors(m->value, "ssh.dst");
      const Member* users = f.get("users");
      if (users) r.users = strs(users->value, "ssh.users");
      if (r.users.empty()) {
        error(users ? users->value.pos : item.pos, "users must be specified",
              "ssh-users", "e.g. \"users\": [\"autogroup:nonroot\"]");
      }
      for (const auto& u : r.users) {
        if (u.text.empty() || u.text == "*")
          error(u.pos, "user \"" + u.text + "\" is not valid", "ssh-user");
      }
      if (auto* m = f.get("checkPeriod")) {
        if (auto s = decode_string(m->value, "ssh.checkPeriod", sink_))
          r.check_period = Str{std::string(trim_space(*s)), m->value.pos};
      }
      if (auto* m = f.get("acceptEnv")) {
        for (const auto& s : decode_string_list(m->value, "ssh.acceptEnv", sink_)) {
          if (s.text.empty())
            error(s.pos, "acceptEnv values cannot be empty", "ssh-accept-env");
          r.accept_env.push_back(Str{s.text, s.pos});
        }
      }
      if (auto* m = f.get("srcPosture"))
        r.src_posture = selectors(m->value, "ssh.srcPosture");
      if (auto* m = f.get("recorder"))
        r.recorder = selectors(m->value, "ssh.recorder");
      if (auto* m = f.get("enforceRecorder"))
        r.enforce_recorder =
            decode_bool(m->value, "ssh.enforceRecorder", sink_).value_or(false);
      p_.ssh.push_back(std::move(r));
    }
  }

  void node_attrs(const Value& v) {
    if (!expect_kind(v, Kind::Array, "nodeAttrs", "[]NodeAttr", sink_)) return;
    for (const auto& item : v.items) {
      ObjectFields f(item, {"target", "attr", "app", "ipPool"}, "nodeAttrs",
                     sink_);
      if (!item.is_object()) continue;
      NodeAttr a;
      a.pos = item.pos;
      if (auto* m = f.get("target")) a.target = selectors(m->value, "nodeAttrs.target");
      if (auto* m = f.get("attr")) a.attr = strs(m->value, "nodeAttrs.attr");
      if (auto* m = f.get("app")) a.app = app_caps(m->value, "nodeAttrs.app");
      if (auto* m = f.get("ipPool")) a.ip_pool = strs(m->value, "nodeAttrs.ipPool");
      p_.node_attrs.push_back(std::move(a));
    }
  }

  // A list field that remembers whether it was written at all.
  std::vector<Str> optional_list(const Member* m, const char* what, bool& has) {
    if (!m) return {};
    has = true;
    return strs(m->value, what);
  }

  void tests(const Value& v) {
    if (!expect_kind(v, Kind::Array, "tests", "[]ACLTest", sink_)) return;
    for (const auto& item : v.items) {
      ObjectFields f(item,
                     {"src", "user", "proto", "accept", "allow", "deny",
                      "srcPostureAttrs"},
                     "tests", sink_);
      if (!item.is_object()) continue;
      AclTest t;
      t.pos = item.pos;
      const Member* src = f.get("src") ? f.get("src") : f.get("user");
      if (src) {
        if (auto s = decode_string(src->value, "tests.src", sink_))
          t.src = Str{std::string(trim_space(*s)), src->value.pos};
      }
      if (auto* m = f.get("proto")) {
        if (auto s = decode_string(m->value, "tests.proto", sink_))
          t.proto = Str{std::string(trim_space(*s)), m->value.pos};
      }
      const Member* accept = f.get("accept") ? f.get("accept") : f.get("allow");
      t.accept = optional_list(accept, "tests.accept", t.has_accept);
      t.deny = optional_list(f.get("deny"), "tests.deny", t.has_deny);
      if (auto* m = f.get("srcPostureAttrs")) {
        if (expect_kind(m->value, Kind::Object, "tests.srcPostureAttrs",
                        "map[string]any", sink_))
          t.src_posture_attrs = m->value;
      }
      p_.tests.push_back(std::move(t));
    }
  }

  void ssh_tests(const Value& v) {
    if (!expect_kind(v, Kind::Array, "sshTests", "[]SSHTest", sink_)) return;
    for (const auto& item : v.items) {
      ObjectFields f(item,
                     {"src", "dst", "accept", "check", "deny", "srcPostureAttrs"},
                     "sshTests", sink_);
      if (!item.is_object()) continue;
      SshTest t;
      t.pos = item.pos;
      if (auto* m = f.get("src")) {
        if (auto s = decode_string(m->value, "sshTests.src", sink_))
          t.src = Str{std::string(trim_space(*s)), m->value.pos};
      }
      if (auto* m = f.get("dst")) t.dst = strs(m->value, "sshTests.dst");
      t.accept = optional_list(f.get("accept"), "sshTests.accept", t.has_accept);
      t.check = optional_list(f.get("check"), "sshTests.check", t.has_check);
      t.deny = optional_list(f.get("deny"), "sshTests.deny", t.has_deny);
      if (auto* m = f.get("srcPostureAttrs")) {
        if (expect_kind(m->value, Kind::Object, "sshTests.srcPostureAttrs",
                        "map[string]any", sink_))
          t.src_posture_attrs = m->value;
      }
      p_.ssh_tests.push_back(std::move(t));
    }
  }

  // A bare name is a host alias if `hosts` defines it; otherwise (aclc) a
  // device name, which validation reports in the Tailscale dialect.
  void resolve_host_aliases() {
    auto fix = [&](Selector& s) {
      if (s.kind == SelectorKind::Name) s.host_alias = p_.find_host(s.name) != nullptr;
    };
    auto fix_all = [&](std::vector<Selector>& v) {
      for (auto& s : v) fix(s);
    };
    for (auto& r : p_.acls) {
      fix_all(r.src);
      for (auto& d : r.dst) fix(d.target);
    }
    for (auto& g : p_.grants) {
      fix_all(g.src);
      fix_all(g.dst);
    }
    for (auto& r : p_.ssh) {
      fix_all(r.src);
      fix_all(r.dst);
    }
    for (auto& g : p_.groups) fix_all(g.members);
    for (auto& a : p_.node_attrs) fix_all(a.target);
    for (auto& d : p_.ipsets)
      for (auto& e : d.entries) fix(e.target);
  }

  Policy& p_;
  DecodeSink sink_;
  // Per map section: name -> position, to replace duplicates in O(1).
  std::map<const void*, std::unordered_map<std::string, size_t>> seen_;
};

// Tailscale reports the JSON decoding errors first, in source order, then
// its validation errors; within each phase aclc keeps source order.
void sort_by_position(std::vector<Diagnostic>& v) {
  std::stable_sort(v.begin(), v.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.pos.offset < b.pos.offset;
  });
}

}  // namespace

std::optional<Policy> parse_policy(std::string_view text,
                                   const std::string& file, Dialect dialect,
                                   Diagnostics& diags) {
  LoadOptions options;
  options.dialect = dialect;
  return parse_policy(text, file, options, diags);
}

std::optional<Policy> parse_policy(std::string_view text,
                                   const std::string& file,
                                   const LoadOptions& options,
                                   Diagnostics& diags) {
  Value root;
  try {
    root = hujson::parse(text);
  } catch (const hujson::SyntaxError& e) {
    diags.error(file, e.pos(), e.what(), "syntax");
    return std::nullopt;
  }
  if (!root.is_object()) {
    diags.error(file, root.pos,
                std::string("json: cannot unmarshal ") +
                    hujson::kind_name(root.kind) +
                    " into a policy: the top level must be an object",
                "json-type");
    return std::nullopt;
  }
  Policy policy;
  policy.file = file;
  policy.dialect = options.dialect;
  Diagnostics decode, validate;
  Loader(policy, DecodeSink{file, &decode, &validate}).load(root);
  validate_policy(policy, validate);
  if (options.user_domains)
    check_ssh_user_domains(policy, *options.user_domains, validate);

  std::vector<Diagnostic> first(decode.items()), second(validate.items());
  sort_by_position(first);
  sort_by_position(second);
  for (auto& d : first) diags.add(std::move(d));
  for (auto& d : second) diags.add(std::move(d));
  return policy;
}

}  // namespace aclc::policy
