#include "verifier/diff_render.h"

#include "compiler/common/json_text.h"
#include "compiler/front/proto.h"

#include <cstdio>

namespace aclc::verify {
namespace {

// Text and markdown name at most this many devices or addresses per side;
// json names them all.
constexpr size_t kListLimit = 12;


std::string list_protocols(const ProtoSet& p) {
  // Named protocols first in the order people expect, then numbers.
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : ", ") + s; };
  for (int n : {6, 17, 1, 58}) {
    if (p.contains(static_cast<uint8_t>(n))) add(policy::proto_name(static_cast<uint8_t>(n)));
  }
  for (int n : p) {
    if (n == 6 || n == 17 || n == 1 || n == 58) continue;
    const char* name = policy::proto_name(static_cast<uint8_t>(n));
    add(name ? name : std::to_string(n));
  }
  return out;
}

std::string json_quote(const std::string& s) { return aclc::json_quote(s); }

std::string json_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + json_quote(v[i]);
  return out + "]";
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// The members of one side of a box: devices wholly inside it by name, and
// the addresses no such device accounts for.
std::vector<std::string> members(const IPSet& set, const std::vector<size_t>& devices,
                                 const Inventory* inv) {
  std::vector<std::string> out;
  IPSet rest = set;
  if (inv) {
    for (size_t d : devices) {
      IPSet own = inv->devices[d].address_set();
      if (!set.contains(own)) continue;
      out.push_back(inv->devices[d].hostname);
      rest -= own;
    }
  }
  for (std::string& s : rest.to_strings(RangeForm::Compact)) out.push_back(std::move(s));
  return out;
}

std::string shortened(const std::vector<std::string>& v) {
  if (v.size() <= kListLimit) return join(v, ", ");
  std::vector<std::string> head(v.begin(), v.begin() + kListLimit);
  return join(head, ", ") + " and " + std::to_string(v.size() - kListLimit) + " more";
}

// "group:eng", "group:eng (only bob)", or the members when no selector of
// the rule names the side.
std::string describe_side(const std::vector<std::string>& labels, bool whole, const IPSet& set,
                          const std::vector<size_t>& devices, const Inventory* inv) {
  if (labels.empty()) return shortened(members(set, devices, inv));
  std::string out = join(labels, ", ");
  if (!whole) out += " (only " + shortened(members(set, devices, inv)) + ")";
  return out;
}

std::string describe_dst(const FlowGroup& g, const Inventory* inv) {
  std::string ports = describe_ports(g.ports);
  if (g.via_self) {
    // Self boxes are one owner's devices: name them.
    return "autogroup:self:" + ports + " (" + shortened(members(g.dst, g.dst_devices, inv)) + ")";
  }
  if (g.dst_labels.empty()) return shortened(members(g.dst, g.dst_devices, inv)) + " port " + ports;
  std::string target = g.dst_labels.size() == 1 ? g.dst_labels[0]
                                                 : "{" + join(g.dst_labels, ", ") + "}";
  std::string out = target + ":" + ports;
  if (!g.dst_whole) out += " (only " + shortened(members(g.dst, g.dst_devices, inv)) + ")";
  return out;
}

std::string describe_src(const FlowGroup& g, const Inventory* inv) {
  return describe_side(g.src_labels, g.src_whole, g.src, g.src_devices, inv);
}

std::string rule_link(const RuleRef& r) {
  return r.file + ":" + std::to_string(r.pos.line);
}

std::string device_names(const std::vector<size_t>& ds, const Inventory* inv) {
  std::vector<std::string> names;
  for (size_t d : ds) names.push_back(inv->devices[d].hostname);
  return shortened(names);
}

bool has_devices(const DiffReport& r) {
  return r.device_pairs && r.inv && !r.inv->devices.empty();
}

std::string summary_line(const SemanticDiff& d) {
  auto n = [](size_t k) { return std::to_string(k) + (k == 1 ? " flow" : " flows"); };
  return n(d.added.size()) + " added, " + std::to_string(d.removed.size()) + " removed";
}

std::string equivalent_line(const DiffReport& r) {
  return "no change in access: the policies are equivalent (proof by exact set algebra, for " +
         r.scope + ")";
}

std::string rule_json(const RuleRef& r) {
  return "{\"file\":" + json_quote(r.file) + ",\"line\":" + std::to_string(r.pos.line) +
         ",\"col\":" + std::to_string(r.pos.col) + ",\"rule\":" + json_quote(r.origin) +
         ",\"action\":" + json_quote(r.deny ? "deny" : "accept") + "}";
}

std::string side_json(const std::vector<std::string>& labels, bool whole, const IPSet& set,
                      const std::vector<size_t>& devices, const Inventory* inv) {
  std::vector<std::string> names;
  if (inv) {
    for (size_t d : devices) names.push_back(inv->devices[d].hostname);
  }
  return "{\"selectors\":" + json_list(labels) + ",\"whole\":" + (whole ? "true" : "false") +
         ",\"addresses\":" + json_list(set.to_strings(RangeForm::Compact)) +
         ",\"devices\":" + json_list(names) + "}";
}

std::string group_json(const FlowGroup& g, const Inventory* inv) {
  // Device names are listed only for the tailnet's own devices.
  std::string out = "{\"rule\":" + rule_json(g.rule);
  out += ",\"blocked_by\":" + (g.blocker ? rule_json(*g.blocker) : std::string("null"));
  out += ",\"src\":" + side_json(g.src_labels, g.src_whole, g.src, g.src_devices, inv);
  std::vector<std::string> dst_labels = g.dst_labels;
  out += ",\"dst\":" + side_json(dst_labels, g.dst_whole, g.dst, g.dst_devices, inv);
  out += ",\"self\":";
  out += g.via_self ? "true" : "false";
  out += ",\"protocols\":[";
  bool first = true;
  for (int p : g.protos) {
    out += (first ? "" : ",") + std::to_string(p);
    first = false;
  }
  out += "],\"ports\":[";
  first = true;
  for (const PortRange& pr : g.ports.ranges()) {
    out += (first ? "" : ",") + json_quote(to_string(pr));
    first = false;
  }
  return out + "]}";
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string md_table(const std::vector<FlowGroup>& groups, const DiffReport& r, bool added) {
  bool devices = has_devices(r);
  std::string out = "| Source | Destination | Protocols | Rule | ";
  out += added ? "Was denied by" : "Now denied by";
  out += devices ? " | Devices |\n|---|---|---|---|---|---|\n" : " |\n|---|---|---|---|---|\n";
  for (const FlowGroup& g : groups) {
    out += "| `" + md_cell(describe_src(g, r.inv)) + "` | `" + md_cell(describe_dst(g, r.inv)) +
           "` | " + md_cell(describe_protocols(g.protos)) + " | `" + md_cell(rule_link(g.rule)) +
           "` " + g.rule.origin + " | ";
    out += g.blocker ? "`" + md_cell(rule_link(*g.blocker)) + "` " + g.blocker->origin
                     : std::string("no rule");
    if (devices) {
      out += " | " + md_cell(device_names(g.src_devices, r.inv)) + " → " +
             md_cell(device_names(g.dst_devices, r.inv));
    }
    out += " |\n";
  }
  return out;
}

}  // namespace

std::string describe_protocols(const ProtoSet& p) {
  if (p == ProtoSet::all()) return "any protocol";
  if (p.count() > 128) return "any protocol except " + list_protocols(ProtoSet::all() - p);
  return list_protocols(p);
}

std::string describe_ports(const PortSet& p) {
  if (p.is_all()) return "*";
  std::vector<std::string> parts;
  for (const PortRange& r : p.ranges()) parts.push_back(to_string(r));
  return join(parts, ",");
}

std::string render_diff_text(const DiffReport& r, bool colour) {
  const SemanticDiff& d = *r.diff;
  const char* green = colour ? "\033[32m" : "";
  const char* red = colour ? "\033[31m" : "";
  const char* dim = colour ? "\033[2m" : "";
  const char* reset = colour ? "\033[0m" : "";
  std::string out = "aclc diff " + r.old_name + " -> " + r.new_name + "\n";
  if (d.equivalent()) return out + equivalent_line(r) + "\n";
  auto lines = [&](const std::vector<FlowGroup>& groups, bool added) {
    for (const FlowGroup& g : groups) {
      out += added ? green : red;
      out += added ? "+ " : "- ";
      out += describe_src(g, r.inv) + " -> " + describe_dst(g, r.inv) + " " +
             describe_protocols(g.protos);
      out += reset;
      out += "\n    ";
      out += dim;
      out += (added ? "allowed by " : "was allowed by ") + rule_link(g.rule) + " " + g.rule.origin;
      if (g.blocker) {
        out += (added ? "; was denied by " : "; now denied by ") + rule_link(*g.blocker) + " " +
               g.blocker->origin;
      }
      out += reset;
      out += "\n";
      if (has_devices(r) && (!g.src_devices.empty() || !g.dst_devices.empty())) {
        out += std::string("    ") + dim + "devices: " + device_names(g.src_devices, r.inv) +
               " -> " + device_names(g.dst_devices, r.inv) + reset + "\n";
      }
    }
  };
  lines(d.added, true);
  lines(d.removed, false);
  out += summary_line(d) + " (for " + r.scope + ")\n";
  return out;
}

std::string render_diff_json(const DiffReport& r) {
  const SemanticDiff& d = *r.diff;
  std::string out = "{\"version\":1,\"command\":\"diff\"";
  out += ",\"old\":" + json_quote(r.old_name) + ",\"new\":" + json_quote(r.new_name);
  out += ",\"scope\":" + json_quote(r.scope);
  out += ",\"equivalent\":";
  out += d.equivalent() ? "true" : "false";
  out += ",\"summary\":{\"added\":" + std::to_string(d.added.size()) +
         ",\"removed\":" + std::to_string(d.removed.size()) + "}";
  for (const auto& [name, list] : {std::pair{"added", &d.added}, std::pair{"removed", &d.removed}}) {
    out += ",\"" + std::string(name) + "\":[";
    for (size_t i = 0; i < list->size(); ++i) {
      out += (i ? "," : "") + group_json((*list)[i], r.device_pairs ? r.inv : nullptr);
    }
    out += "]";
  }
  return out + "}\n";
}

std::string render_diff_markdown(const DiffReport& r) {
  const SemanticDiff& d = *r.diff;
  std::string out = "### aclc: access changes from `" + md_cell(r.old_name) + "` to `" +
                    md_cell(r.new_name) + "`\n\n";
  if (d.equivalent()) return out + "**No change in access**: the policies are equivalent (proof by exact set algebra, for " + md_cell(r.scope) + ").\n";
  out += "**" + summary_line(d) + "** (for " + md_cell(r.scope) + ")\n";
  if (!d.added.empty()) out += "\n#### Added\n\n" + md_table(d.added, r, true);
  if (!d.removed.empty()) out += "\n#### Removed\n\n" + md_table(d.removed, r, false);
  return out;
}

}  // namespace aclc::verify
