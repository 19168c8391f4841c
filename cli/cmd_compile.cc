// aclc compile: the per-device packet filters a policy yields.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "cli/command_run.h"
#include "cli/commands.h"
#include "cli/compile_bundle.h"
#include "cli/compile_nft.h"
#include "cli/file_io.h"
#include "compiler/back/tailcfg.h"

namespace aclc::cli {
namespace {

struct CompileOptions {
  Inputs in;
  std::string dialect = "aclc";
  std::string format = "tailcfg";
  std::string node;
  std::string out;  // output file; empty = stdout
  // --format bundle (cli/compile_bundle.h); out is then a directory.
  BundleOptions bundle;
  // --format nft (cli/compile_nft.h).
  std::string iface = "tailscale0";
};

int run_compile(const CompileOptions& o) {
  CommandRun run("compile", o.in.policy_path, o.dialect, Format::Text);
  if (auto code = run.load(o.in, StopOn::AnyFailure)) return *code;
  const Loaded& loaded = run.loaded;
  // Warnings still reach the user; the JSON goes to stdout untouched.
  print_findings(run.diags);

  if (o.format == "bundle") {
    BundleOptions b = o.bundle;
    b.node = o.node;
    b.out_dir = o.out;
    return compile_bundles(loaded, o.in, b);
  }
  if (o.format == "nft") {
    NftOptions n;
    n.iface = o.iface;
    n.node = o.node;
    n.out_dir = o.out;
    n.verify = o.bundle.verify;
    return compile_nft(loaded, o.in, n);
  }

  const Inventory& inv = loaded.inventory;
  tailcfg::Compiler compiler(*loaded.program, inv);
  std::string json;
  if (!o.node.empty()) {
    const Device* dev = inv.find_device(o.node);
    if (!dev) {
      std::fprintf(stderr, "aclc: error: no device named \"%s\" in %s\n",
                   o.node.c_str(), o.in.nodes_path.c_str());
      return kUsageOrIO;
    }
    size_t index = size_t(dev - inv.devices.data());
    json = tailcfg::to_json(compiler.for_node(index), 2);
  } else if (o.out.empty()) {
    // Every device's filter can be hundreds of megabytes at 10k devices:
    // stream it, pretty only for a person at a terminal.
    int indent = isatty(fileno(stdout)) ? 2 : 0;
    std::ios::sync_with_stdio(false);
    tailcfg::write_json_all(compiler, inv, std::cout, indent);
    std::cout << "\n";
    std::cout.flush();
    return std::cout.good() ? kPass : kUsageOrIO;
  } else {
    json = tailcfg::to_json_all(compiler, inv, 0);
  }
  json += "\n";

  if (o.out.empty()) {
    std::fwrite(json.data(), 1, json.size(), stdout);
    return std::fflush(stdout) == 0 ? kPass : kUsageOrIO;
  }
  std::string err;
  if (!write_file_atomic(o.out, json, err)) {
    std::fprintf(stderr, "aclc: error: %s\n", err.c_str());
    return kUsageOrIO;
  }
  return kPass;
}

}  // namespace

Runner add_compile_command(CLI::App& app);
const CommandRegistration kRegister50(50, add_compile_command);

Runner add_compile_command(CLI::App& app) {
  auto o = std::make_shared<CompileOptions>();
  auto* cmd = app.add_subcommand(
      "compile",
      "Compile a policy into the packet filter each device enforces. "
      "--format tailcfg prints what Tailscale's control plane sends each "
      "device: {\"<hostname>\": [FilterRule, ...]}, or one device's list "
      "with --node.");
  cmd->add_option("policy", o->in.policy_path, "The policy file (HuJSON)")
      ->required();
  cmd->add_option("--nodes", o->in.nodes_path,
                  "The tailnet's devices (Tailscale's device-list API JSON)")
      ->required();
  cmd->add_option("--format", o->format, "Output format: tailcfg, nft or bundle")
      ->check(CLI::IsMember({"tailcfg", "nft", "bundle"}));
  cmd->add_option("--iface", o->iface,
                  "nft: the mesh interface whose inbound traffic is filtered "
                  "(default tailscale0)");
  cmd->add_option("--node", o->node,
                  "Only this device's filter (its hostname)");
  cmd->add_option("--dialect", o->dialect, "aclc (default) or tailscale")
      ->check(CLI::IsMember({"aclc", "tailscale"}));
  cmd->add_option("-o,--out", o->out,
                  "Write to this file (atomically) instead of stdout; with "
                  "--format bundle, the directory for DEVICE.bundle files; with "
                  "--format nft, the directory for DEVICE.nft files");
  // --format bundle: signed per-device bundles (docs/bundle-format.md).
  cmd->add_option("--sign-key", o->bundle.sign_key,
                  "bundle: the Ed25519 secret key (aclc keygen)");
  cmd->add_option("--serial", o->bundle.serial,
                  "bundle: the serial (default: seconds since the epoch); "
                  "nodes accept only increasing serials");
  cmd->add_option("--ttl", o->bundle.ttl,
                  "bundle: validity, a Go duration (default 168h)");
  cmd->add_option("--revision", o->bundle.revision,
                  "bundle: the policy revision to record (default: "
                  "sha256:<hex> of the policy file)");
  cmd->add_flag("!--no-verify", o->bundle.verify,
                "Skip translation validation (the Z3 proof that each "
                "device's table is the policy)");
  cmd->footer(
      "Exit codes: 0 compiled, 1 the policy is invalid, 2 usage or I/O "
      "error.");
  return [o]() {
    o->in.dialect = *parse_dialect(o->dialect);
    return run_compile(*o);
  };
}

}  // namespace aclc::cli
