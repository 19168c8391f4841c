// aclc: check, prove, diff and compile Tailscale-style access policies.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/output.h"

namespace aclc::cli {
std::vector<CommandEntry>& command_registry() {
  static std::vector<CommandEntry> entries;
  return entries;
}
}  // namespace aclc::cli

int main(int argc, char** argv) {
  CLI::App app{
      "aclc: a toolchain for access policies of WireGuard meshes in "
      "Tailscale's policy language.\n"
      "Checks a policy and its tests, compiles it into per-device packet "
      "filters."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("aclc ") + ACLC_VERSION);
  app.footer(
      "Exit codes: 0 pass, 1 the policy fails (invalid, or a test fails), "
      "2 usage or I/O error.\nRun 'aclc COMMAND --help' for a command's "
      "options.");

  std::map<CLI::App*, aclc::cli::Runner> runners;
  auto reg = [&](aclc::cli::Runner r) {
    runners[app.get_subcommands([](CLI::App*) { return true; }).back()] =
        std::move(r);
  };
  auto& registry = aclc::cli::command_registry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.order < b.order; });
  for (const auto& entry : registry) reg(entry.add(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return aclc::cli::kUsageOrIO;
  }
  for (auto* sub : app.get_subcommands()) {
    auto it = runners.find(sub);
    if (it != runners.end()) {
      try {
        return it->second();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "aclc: internal error: %s\n", e.what());
        return aclc::cli::kUsageOrIO;
      }
    }
  }
  return aclc::cli::kUsageOrIO;
}
