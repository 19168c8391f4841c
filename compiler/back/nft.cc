#include "compiler/back/nft.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <vector>

namespace aclc::nft {

bool valid_iface(std::string_view name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool has_ports(int proto) {
  return proto == 6 || proto == 17 || proto == 132 || proto == 33 || proto == 136;
}

namespace {

// One family's side of the ruleset.
struct Fam {
  Family family;
  const char* type;  // set type
  const char* expr;  // "ip" / "ip6"
  const char* tag;   // set name suffix
};
constexpr Fam kFams[] = {{Family::V4, "ipv4_addr", "ip", "4"}, {Family::V6, "ipv6_addr", "ip6", "6"}};

// The set's elements of one family, "{ a, b-c, d/n }"; empty if none.
std::string elements(const IPSet& s, Family f) {
  IPSet only;
  for (const Interval& iv : s.intervals(f)) only.add_range(Addr(f, iv.first), Addr(f, iv.last));
  std::string out;
  for (const std::string& e : only.to_strings(RangeForm::Compact)) {
    if (!out.empty()) out += ", ";
    out += e;
  }
  return out;
}

std::string protos_expr(const std::vector<int>& protos) {
  if (protos.size() == 1) return std::to_string(protos[0]);
  std::string out = "{ ";
  for (size_t i = 0; i < protos.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(protos[i]);
  }
  out += " }";
  return out;
}

std::string range_expr(const PortRange& r) {
  std::string out = std::to_string(r.first);
  if (r.first != r.last) {
    out += '-';
    out += std::to_string(r.last);
  }
  return out;
}

// "22", "80-90" or "{ 22, 80-90 }".
std::string ports_expr(const std::vector<PortRange>& ranges) {
  if (ranges.size() == 1) return range_expr(ranges[0]);
  std::string out = "{ ";
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (i) out += ", ";
    out += range_expr(ranges[i]);
  }
  out += " }";
  return out;
}

// A set name: "d3_4" (zone 3's IPv4 destinations), "s7_6" (cell 7's IPv6
// sources). Built by appending: GCC 12 -O2 warns falsely on literal + string.
std::string set_name(char kind, size_t id, const Fam& f) {
  std::string out(1, kind);
  out += std::to_string(id);
  out += '_';
  out += f.tag;
  return out;
}

std::string comment_safe(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

void set_decl(std::ostringstream& os, const std::string& name, const Fam& f, const std::string& elems) {
  os << "  set " << name << " {\n    type " << f.type << "\n    flags interval\n    elements = { " << elems
     << " }\n  }\n";
}

}  // namespace

std::string ruleset(const table::Table& t, std::string_view device, const Options& opts) {
  std::ostringstream sets, rules;
  std::map<std::string, std::string> set_names;  // family tag + elements -> source set name
  const auto& zones = t.zones();
  for (size_t z = 0; z < zones.size(); ++z) {
    const table::Zone& zone = zones[z];
    std::string dsts[2];
    for (int fi = 0; fi < 2; ++fi) {
      dsts[fi] = elements(zone.dsts, kFams[fi].family);
      if (!dsts[fi].empty()) set_decl(sets, set_name('d', z, kFams[fi]), kFams[fi], dsts[fi]);
    }
    for (const table::ProtoClass& cls : zone.classes) {
      std::vector<int> ported, portless;
      for (int p : cls.protos) (has_ports(p) ? ported : portless).push_back(p);
      for (int fi = 0; fi < 2; ++fi) {
        const Fam& f = kFams[fi];
        if (dsts[fi].empty()) continue;
        // One rule per distinct source set: its cells' ports as one set.
        std::vector<std::pair<std::string, std::vector<PortRange>>> groups;
        const table::Cell* port0 = nullptr;
        std::string port0_srcs;
        for (const table::Cell& cell : cls.cells) {
          std::string srcs = elements(cell.sources, f.family);
          if (srcs.empty()) continue;
          if (cell.ports.contains(0)) {
            port0 = &cell;
            port0_srcs = srcs;
          }
          auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == srcs; });
          if (g == groups.end()) {
            groups.push_back({srcs, {cell.ports}});
          } else {
            g->second.push_back(cell.ports);
          }
        }
        auto head = [&](const std::string& srcs) {
          auto [it, fresh] = set_names.try_emplace(std::string(f.tag) + srcs, set_name('s', set_names.size(), f));
          if (fresh) set_decl(sets, it->second, f, srcs);
          std::ostringstream h;
          h << "    " << f.expr << " daddr @" << set_name('d', z, f) << " " << f.expr << " saddr @" << it->second
            << " meta l4proto ";
          return h.str();
        };
        if (!ported.empty()) {
          for (const auto& [srcs, ranges] : groups) {
            rules << head(srcs) << protos_expr(ported);
            if (!(ranges.size() == 1 && ranges[0].is_all())) rules << " th dport " << ports_expr(ranges);
            rules << " counter accept\n";
          }
        }
        if (!portless.empty() && port0) rules << head(port0_srcs) << protos_expr(portless) << " counter accept\n";
      }
    }
  }
  std::string q = std::string(1, '"').append(opts.iface).append(1, '"');
  std::ostringstream os;
  os << "#!/usr/sbin/nft -f\n"
     << "# aclc: inbound packet filter of " << comment_safe(device) << " (generated; do not edit).\n"
     << "# Filters only what arrives on " << opts.iface << "; replaces table inet aclc atomically.\n"
     << "table inet aclc\n"
     << "delete table inet aclc\n"
     << "table inet aclc {\n"
     << sets.str() << "  chain mesh {\n"
     << "    ct state established,related counter accept\n"
     << rules.str() << "    counter drop\n"
     << "  }\n"
     << "  chain input {\n"
     << "    type filter hook input priority filter; policy accept;\n"
     << "    iifname " << q << " jump mesh\n"
     << "  }\n"
     << "  chain forward {\n"
     << "    type filter hook forward priority filter; policy accept;\n"
     << "    iifname " << q << " jump mesh\n"
     << "  }\n"
     << "}\n";
  return os.str();
}

}  // namespace aclc::nft
