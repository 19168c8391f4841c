// The aclc subcommands. Each registers its options on the CLI11 app and
// returns the process exit code (cli/output.h: 0 pass, 1 policy failure,
// 2 usage or I/O error) when run.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace aclc::cli {

using Runner = std::function<int()>;

Runner add_check_command(CLI::App& app);
Runner add_compile_command(CLI::App& app);

}  // namespace aclc::cli
