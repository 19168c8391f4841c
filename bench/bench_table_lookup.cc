// Table lookup speed: ns/packet of table::Table::allows on a table of about
// 1,300 source prefixes, against a naive linear scan over the rules (what a
// filter that walks its rules does) and the reference evaluator decide(),
// all on the same packets in the same run. Also prints the table's size.
//
//   aclc-bench-table-lookup [--packets N] [--only "one rule"|"100 rules"]
//   aclc-bench-table-lookup --tables POLICY DEVICES [N]  (every device's table,
//                                                        or the first N)
//
// Build with -DCMAKE_BUILD_TYPE=Release for meaningful figures.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <new>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "compiler/back/table_build.h"
#include "compiler/front/inventory.h"
#include "compiler/front/lower.h"
#include "compiler/front/policy_load.h"
#include "compiler/ir/evaluate.h"

using namespace aclc;

// Counts heap allocations, to show that lookups make none.
static size_t g_allocations = 0;
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

struct Packet {
  Addr src, dst;
  uint8_t proto;
  uint16_t port;
};

// The rules as a linear filter: per rule, protocols, port ranges,
// destinations and source prefixes, each tested in turn.
struct NaiveRule {
  ProtoSet protos;
  std::vector<PortRange> ports;
  std::vector<Prefix> dsts;
  std::vector<Prefix> srcs;
};

double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

bool naive_allows(const std::vector<NaiveRule>& rules, const Packet& p) {
  for (const NaiveRule& r : rules) {
    if (!r.protos.contains(p.proto)) continue;
    bool port = false;
    for (const PortRange& pr : r.ports) port = port || pr.contains(p.port);
    if (!port) continue;
    bool dst = false;
    for (const Prefix& d : r.dsts) dst = dst || d.contains(p.dst);
    if (!dst) continue;
    for (const Prefix& s : r.srcs) {
      if (s.contains(p.src)) return true;
    }
  }
  return false;
}

std::string prefix_text(std::mt19937_64& rng, std::vector<Prefix>& out) {
  // Random /24../32 in 10.0.0.0/8 and 100.64.0.0/10, some IPv6 /48../128.
  int kind = static_cast<int>(rng() % 10);
  Prefix p;
  if (kind < 8) {
    int bits = 24 + static_cast<int>(rng() % 9);
    uint32_t base = kind < 4 ? 0x0a000000u : 0x64400000u;
    uint32_t span = kind < 4 ? 0x00ffffffu : 0x003fffffu;
    uint32_t a = base | (static_cast<uint32_t>(rng()) & span);
    p = Prefix{Addr(a), bits}.masked();
  } else {
    int bits = 48 + static_cast<int>(rng() % 81);
    u128 a = (u128{0xfd7a115ca1e00000ull} << 64) | (u128{rng() & 0xffffull} << 64) | u128{rng()};
    p = Prefix{Addr(Family::V6, a), bits}.masked();
  }
  out.push_back(p);
  return "\"" + (p.is_single_addr() ? to_string(p.addr) : to_string(p)) + "\"";
}

struct Scenario {
  std::string name;
  int rules;
  int prefixes_per_rule;
};

void run(const Scenario& sc, size_t n_packets) {
  std::mt19937_64 rng(1300);
  const char* inventory = R"({"devices": [
    {"hostname": "srv", "addresses": ["100.64.0.1", "fd7a:115c:a1e0::1"], "tags": ["tag:srv"]}]})";
  std::string acls;
  std::vector<NaiveRule> naive;
  const uint16_t bases[] = {22, 80, 443, 3000, 5432, 8080, 9000, 53};
  for (int r = 0; r < sc.rules; ++r) {
    NaiveRule nr;
    std::string src;
    for (int k = 0; k < sc.prefixes_per_rule; ++k) src += (k ? ", " : "") + prefix_text(rng, nr.srcs);
    uint16_t first = static_cast<uint16_t>(bases[rng() % 8] + rng() % 50);
    uint16_t last = static_cast<uint16_t>(first + (rng() % 3 == 0 ? rng() % 100 : 0));
    bool udp = rng() % 4 == 0;
    nr.protos = udp ? ProtoSet{17} : ProtoSet{6};
    nr.ports.push_back({first, last});
    nr.dsts = {Prefix::host(*parse_addr("100.64.0.1")), Prefix::host(*parse_addr("fd7a:115c:a1e0::1"))};
    naive.push_back(nr);
    acls += std::string(r ? ",\n" : "") + R"({"action": "accept", "proto": ")" + (udp ? "udp" : "tcp") +
            R"(", "src": [)" + src + R"(], "dst": ["tag:srv:)" + std::to_string(first) + "-" +
            std::to_string(last) + "\"]}";
  }
  std::string policy = R"({"tagOwners": {"tag:srv": []}, "acls": [)" + acls + "]}";
  Diagnostics diags;
  auto inv = parse_inventory(inventory, "bench-nodes.json", diags);
  policy::LoadOptions opts;
  opts.dialect = Dialect::Aclc;
  auto pol = policy::parse_policy(policy, "bench.hujson", opts, diags);
  if (!inv || !pol || diags.has_errors()) {
    std::fprintf(stderr, "bench: the generated policy does not load\n");
    std::exit(1);
  }
  ir::Program prog = lower(*pol, *inv);
  auto t0 = std::chrono::steady_clock::now();
  table::Builder builder(prog, *inv);
  table::Table t = builder.for_device(0);
  double build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  ir::Evaluator ev(prog, *inv);

  // Packets: half from a rule's prefix, half random; ports near the rules.
  constexpr size_t kPool = 1 << 14;
  std::vector<Packet> packets(kPool);
  for (Packet& p : packets) {
    const NaiveRule& r = naive[rng() % naive.size()];
    if (rng() % 2) {
      const Prefix& s = r.srcs[rng() % r.srcs.size()];
      u128 host = s.last().value - s.first().value;
      u128 off = host == 0 ? 0 : (u128{rng()} % (host + 1));
      p.src = Addr(s.family(), s.first().value + off);
    } else {
      p.src = rng() % 5 ? Addr(static_cast<uint32_t>(0x0a000000u | (rng() & 0xffffff)))
                        : Addr(Family::V6, (u128{0xfd7a115ca1e00000ull} << 64) | u128{rng()});
    }
    p.dst = p.src.is_v4() ? *parse_addr("100.64.0.1") : *parse_addr("fd7a:115c:a1e0::1");
    // Mostly the rule's own protocol, so that lookups reach the sources.
    bool rule_udp = r.protos.contains(17);
    p.proto = rng() % 4 ? (rule_udp ? 17 : 6) : (rule_udp ? 6 : 17);
    p.port = rng() % 4 ? r.ports[0].first : static_cast<uint16_t>(r.ports[0].first + rng() % 8);
  }

  // n lookups cycling over a pool that fits in cache (the lookups, not
  // the packet stream, are measured).
  // Thread CPU time, not wall time: on a shared machine the wall clock
  // also counts the time other processes run.
  auto time = [&](auto&& f, size_t n) {
    size_t allowed = 0;
    double s = cpu_ns();
    for (size_t i = 0; i < n; ++i) allowed += f(packets[i & (kPool - 1)]);
    double ns = cpu_ns() - s;
    return std::pair<double, size_t>(ns / static_cast<double>(n), allowed);
  };
  auto table_f = [&](const Packet& p) { return t.allows(p.src, p.dst, p.proto, p.port); };
  auto naive_f = [&](const Packet& p) { return naive_allows(naive, p); };
  auto decide_f = [&](const Packet& p) {
    return ev.decide(ir::Flow{p.src, p.dst, p.proto, p.port}).verdict == ir::Verdict::Allow;
  };
  time(table_f, std::min<size_t>(n_packets, 10000));  // warm-up
  size_t allocations = g_allocations;
  auto [t_ns, t_allowed] = time(table_f, n_packets);
  allocations = g_allocations - allocations;
  auto [n_ns, n_allowed] = time(naive_f, n_packets);
  size_t n_decide = std::min<size_t>(n_packets, 20000);
  auto [d_ns, d_allowed] = time(decide_f, n_decide);
  size_t t_allowed_small = time(table_f, n_decide).second;

  size_t cells = 0;
  for (const table::Zone& z : t.zones())
    for (const table::ProtoClass& c : z.classes) cells += c.cells.size();
  std::printf("%s: %d rules x %d source prefixes = %d prefixes; table: %zu zones, %zu cells, %zu source intervals, "
              "%zu bytes of index, built in %.1f ms\n",
              sc.name.c_str(), sc.rules, sc.prefixes_per_rule, sc.rules * sc.prefixes_per_rule, t.zones().size(),
              cells, t.source_interval_count(), t.index_bytes(), build_ms);
  std::printf("  table lookup   %8.1f ns/packet  (%zu packets, %zu allowed, %zu heap allocations)\n", t_ns,
              n_packets, t_allowed, allocations);
  std::printf("  linear scan    %8.1f ns/packet  (%zu allowed)  table is %.1fx faster\n", n_ns, n_allowed,
              n_ns / t_ns);
  std::printf("  decide()       %8.1f ns/packet  (%zu packets, %zu allowed)  table is %.1fx faster\n", d_ns,
              n_decide, d_allowed, d_ns / t_ns);
  if (allocations != 0) {
    std::printf("  FAIL: lookups allocated\n");
    std::exit(1);
  }
  if (t_allowed != n_allowed || t_allowed_small != d_allowed) {
    std::printf("  MISMATCH: the three verdicts disagree\n");
    std::exit(1);
  }
}

// Builds every device's table of a policy and device list (aclc-gen-tailnet
// output, say): time, table sizes.
int build_all(const char* policy_path, const char* devices_path, size_t limit) {
  auto slurp = [](const char* path) {
    std::FILE* f = std::fopen(path, "rb");
    std::string out;
    if (!f) return out;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
    return out;
  };
  Diagnostics diags;
  auto inv = parse_inventory(slurp(devices_path), devices_path, diags);
  policy::LoadOptions opts;
  opts.dialect = Dialect::Aclc;
  auto pol = policy::parse_policy(slurp(policy_path), policy_path, opts, diags);
  if (!inv || !pol || diags.has_errors()) {
    std::fprintf(stderr, "bench: %s or %s does not load\n", policy_path, devices_path);
    return 1;
  }
  ir::Program prog = lower(*pol, *inv);
  double s = cpu_ns();
  table::Builder builder(prog, *inv);
  size_t bytes = 0, intervals = 0, max_bytes = 0;
  size_t n = std::min(limit, inv->devices.size());
  for (size_t d = 0; d < n; ++d) {
    table::Table t = builder.for_device(d);
    bytes += t.index_bytes();
    intervals += t.source_interval_count();
    max_bytes = std::max(max_bytes, t.index_bytes());
  }
  double ms = (cpu_ns() - s) / 1e6;
  std::printf("%zu devices, %zu rules: %zu tables in %.0f ms CPU (%.3f ms/device); index bytes: %.1f per device "
              "on average, %zu at most; %zu source intervals in all\n",
              inv->devices.size(), prog.rules.size(), n, ms, ms / static_cast<double>(n),
              static_cast<double>(bytes) / static_cast<double>(n), max_bytes, intervals);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 2000000;
  std::string only;  // --only "one rule" / "100 rules"
  if ((argc == 4 || argc == 5) && std::strcmp(argv[1], "--tables") == 0)
    return build_all(argv[2], argv[3], argc == 5 ? std::strtoull(argv[4], nullptr, 10) : SIZE_MAX);
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--packets") == 0) n = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
#ifndef NDEBUG
  std::printf("warning: assertions on (not a Release build): figures are not representative\n");
#endif
  for (const Scenario& sc : {Scenario{"one rule", 1, 1300}, Scenario{"100 rules", 100, 13}}) {
    if (only.empty() || only == sc.name) run(sc, n);
  }
  return 0;
}
