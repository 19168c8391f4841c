// The start and the end that the reporting commands (check, lint, prove,
// explain, compile, lower) share: a Summary named for the command, the
// inputs loaded and lowered (cli/pipeline.h), and the report printed with
// the exit code (cli/report.h).
#pragma once

#include <optional>
#include <string>

#include "cli/output.h"
#include "cli/pipeline.h"
#include "cli/report.h"
#include "compiler/common/diag.h"

namespace aclc::cli {

// Which failed loads end a command before its own work.
enum class StopOn {
  InputError,  // an unusable input (exit 2); an invalid policy goes on, to be
               // reported with whatever else the command finds
  AnyFailure,  // also an invalid policy (exit 1)
};

struct CommandRun {
  CommandRun(std::string command, std::string policy_path, std::string dialect, Format format);

  // Loads and lowers `in`; with `policy_text`, that text stands for the
  // file (positions still name in.policy_path). When `stop` ends the
  // command here, prints the report and returns the exit code; otherwise
  // returns nothing and `status` says how the load went.
  std::optional<int> load(const Inputs& in, StopOn stop,
                          const std::string* policy_text = nullptr);

  // Prints the report with exit code `code`; returns `code`.
  int finish(int code);
  // finish() with 1 when any error was found, else 0.
  int finish_by_findings();

  Format format;
  Summary summary;
  Diagnostics diags;
  Loaded loaded;
  LoadStatus status = LoadStatus::InputError;  // until load()
};

}  // namespace aclc::cli
