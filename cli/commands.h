// The aclc subcommands. Each command lives in its own cli/cmd_*.cc, which
// registers itself with a static CommandRegistration: adding a command is
// adding a file. A command's add function declares its options on the CLI11
// app and returns the function that runs it, which returns the exit code
// (cli/output.h: 0 pass, 1 policy failure, 2 usage or I/O error).
#pragma once

#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace aclc::cli {

using Runner = std::function<int()>;
using AddCommand = Runner (*)(CLI::App& app);

struct CommandEntry {
  int order;  // position in --help
  AddCommand add;
};

// Every registered command, sorted by order.
std::vector<CommandEntry>& command_registry();

struct CommandRegistration {
  CommandRegistration(int order, AddCommand add) {
    command_registry().push_back({order, add});
  }
};

}  // namespace aclc::cli
