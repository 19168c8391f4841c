// meshd's packet filter, ns/packet through Enforcer::inbound on raw IPv4
// packets (parse included), against the goals of dataplane.md §6:
//   established flow (conntrack hit)          <= 50 ns
//   new flow, full table evaluation           <= 200 ns   (~1,300 source prefixes)
//   drop (no rule; decision log rate-limited to /dev/null)
// plus the parts alone (parse, table lookup), in thread CPU time (best of
// five runs). Figures are printed, not
// asserted, with the heap allocations made inside the timed loops (the goal
// is none).
//
//   aclc-bench-filter [--packets N]
//
// Build with -DCMAKE_BUILD_TYPE=Release for meaningful figures.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "runtime/filter/enforcer.h"

using namespace aclc;
using namespace aclc::runtime::filter;

// Counts heap allocations, to show that filtering makes none. (GCC cannot
// see that these operators pair with each other.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static size_t g_allocations = 0;
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kSelf = 0x64400001;  // 100.64.0.1

Bytes packet(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport,
             uint8_t tcp_flags) {
  size_t l4 = proto == kProtoTcp ? 20 : 8;
  Bytes b(20 + l4 + 32, 0);
  b[0] = 0x45;
  b[2] = uint8_t(b.size() >> 8);
  b[3] = uint8_t(b.size());
  b[8] = 64;
  b[9] = proto;
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = uint8_t(src >> (24 - 8 * i));
    b[16 + i] = uint8_t(dst >> (24 - 8 * i));
  }
  b[20] = uint8_t(sport >> 8);
  b[21] = uint8_t(sport);
  b[22] = uint8_t(dport >> 8);
  b[23] = uint8_t(dport);
  if (proto == kProtoTcp) {
    b[32] = 5 << 4;
    b[33] = tcp_flags;
  }
  return b;
}

// About 1,300 scattered sources in 100.64.0.0/10 (single addresses and
// small prefixes, as a real tailnet's groups compile), sorted and disjoint.
std::vector<std::pair<uint32_t, uint32_t>> sources(std::mt19937& rng, size_t n) {
  std::vector<std::pair<uint32_t, uint32_t>> v;
  std::uniform_int_distribution<uint32_t> addr(0x64400000, 0x647fffff);
  for (size_t i = 0; i < n; ++i) {
    uint32_t a = addr(rng);
    uint32_t size = (i % 10 == 0) ? 16 : 1;
    a &= ~(size - 1);
    v.emplace_back(a, a + size - 1);
  }
  std::sort(v.begin(), v.end());
  std::vector<std::pair<uint32_t, uint32_t>> out;
  for (auto iv : v)
    if (out.empty() || iv.first > out.back().second + 1) out.push_back(iv);
  return out;
}

std::shared_ptr<bundle::Bundle> table(std::mt19937& rng) {
  auto b = std::make_shared<bundle::Bundle>();
  b->device = "bench";
  b->addresses = {{4, 32, kSelf}};
  bundle::Zone z;
  z.dsts.v4 = {{kSelf, kSelf}};
  bundle::ProtoClass tcp{{kProtoTcp, kProtoUdp}, {}};
  uint16_t ports[][2] = {{22, 22}, {80, 80}, {443, 443}, {3000, 3999}, {8080, 8443}};
  for (auto& p : ports) {
    bundle::Cell c;
    c.port_first = p[0];
    c.port_last = p[1];
    c.sources.v4 = sources(rng, p[0] == 443 ? 1300 : 40);
    tcp.cells.push_back(c);
  }
  z.classes = {tcp};
  b->filter = {z};
  return b;
}

struct Result {
  double ns = 0;
  size_t allocations = 0;
};

// This thread's CPU time: on a shared machine, wall time would also count
// the time other processes held the core.
int64_t cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Best of five runs of `n` calls of fn(i), in CPU time.
template <typename Fn>
Result measure(size_t n, Fn&& fn) {
  Result best{1e18, 0};
  for (int run = 0; run < 5; ++run) {
    size_t before = g_allocations;
    int64_t t0 = cpu_ns();
    for (size_t i = 0; i < n; ++i) fn(i);
    double ns = double(cpu_ns() - t0) / double(n);
    best.ns = std::min(best.ns, ns);
    best.allocations = std::max(best.allocations, g_allocations - before);
  }
  return best;
}

void print(const char* what, const Result& r, const char* goal) {
  std::printf("%-46s %8.1f ns/packet   allocations %zu   %s\n", what, r.ns, r.allocations, goal);
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = 2000000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--packets") == 0 && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--packets N]\n", argv[0]);
      return 2;
    }
  }
  if (n == 0) n = 1;
  std::mt19937 rng(1);
  auto bundle = table(rng);
  const auto& https = bundle->filter[0].classes[0].cells[2].sources.v4;
  std::printf("table: 1 zone, %zu cells, %zu source intervals on tcp/udp 443\n",
              bundle->filter[0].classes[0].cells.size(), https.size());

  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  DecisionLogConfig lc;
  lc.fd = devnull;  // the default: drops rate-limited
  DecisionLog log(lc);
  EnforcerConfig cfg;
  cfg.log = &log;
  Enforcer f(cfg);
  f.install(bundle);
  wg::Instant now(std::chrono::seconds(1000));

  // Packets prepared up front: the timed loops only filter.
  const size_t kFlows = 4096;
  std::vector<Bytes> allowed, denied;
  std::uniform_int_distribution<size_t> pick(0, https.size() - 1);
  for (size_t i = 0; i < kFlows; ++i) {
    auto iv = https[pick(rng)];
    allowed.push_back(packet(iv.first, kSelf, kProtoUdp, uint16_t(1024 + i), 443, 0));
    // Sources between the intervals: the search runs to the end and fails.
    denied.push_back(packet(iv.second + 1 == 0 ? iv.first - 1 : iv.second + 1, kSelf, kProtoTcp,
                            uint16_t(1024 + i), 443, kTcpSyn));
  }
  Bytes reply = packet(0x64500009, kSelf, kProtoUdp, 5000, 40000, 0);
  f.admit_outbound(packet(kSelf, 0x64500009, kProtoUdp, 40000, 5000, 0), now);

  // Warm up (and check the verdicts the loops rely on).
  if (!f.admit_inbound(reply, now) || !f.admit_inbound(allowed[0], now) ||
      f.admit_inbound(denied[0], now)) {
    std::fprintf(stderr, "unexpected verdicts\n");
    return 1;
  }

  print("established flow (conntrack hit)", measure(n, [&](size_t) {
          if (!f.admit_inbound(reply, now)) std::abort();
        }), "goal <= 50 ns");

  // New flows: every packet of a batch is a flow not seen before; between
  // batches the clock jumps an hour so that every earlier flow has expired.
  Result full = measure(n, [&](size_t i) {
    if (i % kFlows == 0) now += std::chrono::hours(1);  // all earlier flows expired
    if (!f.admit_inbound(allowed[i % kFlows], now)) std::abort();
  });
  print("new flow: full table evaluation + track", full, "goal <= 200 ns");

  print("drop: no rule (full evaluation, log limited)", measure(n, [&](size_t i) {
          if (f.admit_inbound(denied[i % kFlows], now)) std::abort();
        }), "");

  Packet p;
  print("  of which: parse alone", measure(n, [&](size_t i) {
          if (parse(allowed[i % kFlows], p) != ParseResult::kOk) std::abort();
        }), "");
  TableView view(bundle);
  std::vector<uint32_t> srcs;
  for (const Bytes& b : allowed) srcs.push_back(uint32_t(b[12]) << 24 | b[13] << 16 | b[14] << 8 | b[15]);
  print("  of which: table lookup alone (TableView)", measure(n, [&](size_t i) {
          int zone = view.zone_of(4, kSelf);
          if (view.cell_for(zone, 4, srcs[i % kFlows], kProtoUdp, 443) < 0) std::abort();
        }), "");
  print("  Bundle::allows, same lookups", measure(n, [&](size_t i) {
          if (!bundle->allows(4, srcs[i % kFlows], kSelf, kProtoUdp, 443)) std::abort();
        }), "");

  FilterStats s = f.stats();
  std::printf("conntrack: %zu of %zu entries, %llu evictions; decision log: %llu lines, %llu suppressed\n",
              s.tracked, s.capacity, (unsigned long long)s.evictions,
              (unsigned long long)log.lines_written(), (unsigned long long)log.suppressed_total());
  close(devnull);
  return 0;
}
