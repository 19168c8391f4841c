#include "cli/command_run.h"

#include <utility>

namespace aclc::cli {

CommandRun::CommandRun(std::string command, std::string policy_path, std::string dialect,
                       Format format)
    : format(format) {
  summary.command = std::move(command);
  summary.policy = std::move(policy_path);
  summary.dialect = std::move(dialect);
}

std::optional<int> CommandRun::load(const Inputs& in, StopOn stop,
                                    const std::string* policy_text) {
  status = policy_text ? load_inputs_from_text(in, *policy_text, loaded, diags)
                       : load_inputs(in, loaded, diags);
  if (status == LoadStatus::InputError) return finish(kUsageOrIO);
  if (status == LoadStatus::PolicyInvalid && stop == StopOn::AnyFailure)
    return finish(kPolicyFailure);
  return std::nullopt;
}

int CommandRun::finish(int code) {
  summary.exit_code = code;
  print_report(format, diags, summary);
  return code;
}

int CommandRun::finish_by_findings() {
  return finish(diags.has_errors() ? kPolicyFailure : kPass);
}

}  // namespace aclc::cli
