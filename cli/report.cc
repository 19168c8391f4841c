#include "cli/report.h"

#include <cstdio>

namespace aclc::cli {
namespace {

std::string closing_line(const Diagnostics& diags, const Summary& s) {
  size_t errors = diags.error_count();
  size_t warnings = diags.items().size() - errors;
  std::string line = s.policy + ": ";
  line += s.exit_code == kPass ? "ok" : "FAILED";
  line += " (" + std::to_string(errors) + " error" + (errors == 1 ? "" : "s");
  line += ", " + std::to_string(warnings) + " warning" +
          (warnings == 1 ? "" : "s");
  if (s.tests_run)
    line += ", tests " + std::to_string(s.tests_run - s.tests_failed) + "/" +
            std::to_string(s.tests_run) + " passed";
  if (s.ssh_tests_run)
    line += ", sshTests " +
            std::to_string(s.ssh_tests_run - s.ssh_tests_failed) + "/" +
            std::to_string(s.ssh_tests_run) + " passed";
  line += ", dialect " + s.dialect + ")";
  return line;
}

}  // namespace

void print_findings(const Diagnostics& diags) {
  bool colour = use_colour(stderr);
  for (const auto& d : diags.items()) std::fputs(render_text(d, colour).c_str(), stderr);
}

void print_report(Format format, const Diagnostics& diags,
                  const Summary& s) {
  switch (format) {
    case Format::Text: {
      print_findings(diags);
      for (const auto& n : s.notes) std::fprintf(stderr, "note: %s\n", n.c_str());
      std::fprintf(stderr, "%s\n", closing_line(diags, s).c_str());
      break;
    }
    case Format::Github: {
      for (const auto& d : diags.items())
        std::fputs(render_github(d).c_str(), stdout);
      std::fprintf(stdout, "%s\n", closing_line(diags, s).c_str());
      break;
    }
    case Format::Json: {
      std::string out = "{\"version\":1,\"command\":" + json_quote(s.command);
      out += ",\"policy\":" + json_quote(s.policy);
      out += ",\"dialect\":" + json_quote(s.dialect);
      out += ",\"ok\":";
      out += s.exit_code == kPass ? "true" : "false";
      out += ",\"exit_code\":" + std::to_string(s.exit_code);
      out += ",\"errors\":" + std::to_string(diags.error_count());
      out += ",\"warnings\":" +
             std::to_string(diags.items().size() - diags.error_count());
      out += ",\"tests\":{\"run\":" + std::to_string(s.tests_run) +
             ",\"failed\":" + std::to_string(s.tests_failed) + "}";
      out += ",\"sshTests\":{\"run\":" + std::to_string(s.ssh_tests_run) +
             ",\"failed\":" + std::to_string(s.ssh_tests_failed) + "}";
      out += ",\"diagnostics\":[";
      bool first = true;
      for (const auto& d : diags.items()) {
        if (!first) out += ",";
        first = false;
        out += diagnostic_json(d);
      }
      out += "]}\n";
      std::fputs(out.c_str(), stdout);
      break;
    }
  }
}

}  // namespace aclc::cli
