// aclc-bench-compile-phases: where `aclc compile` spends its time, phase by
// phase, on one tailnet (never in ctest; bench/bench_compile.sh runs it).
//
//   aclc-bench-compile-phases POLICY DEVICES [--tables]
//
// Phases, each timed on its own (CPU-bound, one thread):
//   load       read, parse and validate the policy and the device list, and
//              lower them to the IR (what every command does first);
//   compile    every device's tailcfg filter (tailcfg::Compiler::for_node);
//   serialise  those filters as the JSON `aclc compile --format tailcfg`
//              writes, to nowhere, counting its bytes;
//   tables     (--tables) every device's table (table::Builder), the input
//              of --format nft and bundle.
// Each line also gives the peak resident memory so far (getrusage).
// Filters are built and dropped one device at a time, as the CLI streams
// them, so memory is that of the inputs plus one device.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/pipeline.h"
#include "compiler/back/table_build.h"
#include "compiler/back/tailcfg.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

long peak_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;  // Linux: kilobytes
}

void line(const char* phase, double ms, const std::string& extra) {
  std::printf("%-10s %10.0f ms  peak %6ld MB  %s\n", phase, ms, peak_mb(), extra.c_str());
  std::fflush(stdout);
}

// JSON string length as rapidjson writes a hostname: quotes, plus an escape
// for the characters that need one (none in generated names, but be exact).
size_t quoted_size(const std::string& s) {
  size_t n = 2;
  for (unsigned char c : s) n += (c == '"' || c == '\\' || c < 0x20) ? 2 : 1;
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && std::strcmp(argv[3], "--tables") != 0)) {
    std::fprintf(stderr, "usage: %s POLICY DEVICES [--tables]\n", argv[0]);
    return 2;
  }
  using namespace aclc;
  cli::Inputs in;
  in.policy_path = argv[1];
  in.nodes_path = argv[2];

  auto t0 = Clock::now();
  cli::Loaded loaded;
  Diagnostics diags;
  cli::LoadStatus st = cli::load_inputs(in, loaded, diags);
  if (st != cli::LoadStatus::Ok) {
    std::fprintf(stderr, "bench: the inputs do not load (run aclc check on them)\n");
    return 1;
  }
  const Inventory& inv = loaded.inventory;
  line("load", ms_since(t0),
       std::to_string(inv.devices.size()) + " devices, " + std::to_string(loaded.program->rules.size()) +
           " IR rules");

  // compile and serialise, interleaved per device as the CLI streams, each
  // timed on its own.
  auto t1 = Clock::now();
  tailcfg::Compiler compiler(*loaded.program, inv);
  double compile_ms = ms_since(t1), serialise_ms = 0;
  size_t bytes = 2, rules = 0;  // "{" ... "}"
  for (size_t d = 0; d < inv.devices.size(); ++d) {
    auto a = Clock::now();
    std::vector<tailcfg::FilterRule> f = compiler.for_node(d);
    auto b = Clock::now();
    std::string json = tailcfg::to_json(f, 0);
    serialise_ms += ms_since(b);
    compile_ms += std::chrono::duration<double, std::milli>(b - a).count();
    rules += f.size();
    bytes += quoted_size(inv.devices[d].hostname) + 1 + json.size() + (d ? 1 : 0);
  }
  bytes += 1;  // the newline after the object
  line("compile", compile_ms, std::to_string(rules) + " FilterRules");
  line("serialise", serialise_ms, std::to_string(bytes) + " bytes of tailcfg JSON");

  if (argc == 4) {
    auto t3 = Clock::now();
    table::Builder builder(*loaded.program, inv);
    size_t cells = 0, intervals = 0;
    for (size_t d = 0; d < inv.devices.size(); ++d) {
      table::Table t = builder.for_device(d);
      for (const table::Zone& z : t.zones())
        for (const table::ProtoClass& c : z.classes) cells += c.cells.size();
      intervals += t.source_interval_count();
    }
    line("tables", ms_since(t3),
         std::to_string(cells) + " cells, " + std::to_string(intervals) + " source intervals");
  }
  return 0;
}
