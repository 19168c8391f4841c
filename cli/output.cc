#include "cli/output.h"
#include "compiler/common/json_text.h"

#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace aclc::cli {

std::optional<Format> parse_format(std::string_view s) {
  if (s == "text") return Format::Text;
  if (s == "json") return Format::Json;
  if (s == "github") return Format::Github;
  return std::nullopt;
}

bool use_colour(std::FILE* stream) {
  if (std::getenv("NO_COLOR")) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(stream));
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

std::string render_text(const Diagnostic& d, bool colour) {
  const char* bold = colour ? "\033[1m" : "";
  const char* reset = colour ? "\033[0m" : "";
  const char* sev_colour = "";
  if (colour) {
    sev_colour = d.severity == Severity::Error     ? "\033[1;31m"
                 : d.severity == Severity::Warning ? "\033[1;33m"
                                                   : "\033[1;36m";
  }
  std::string out;
  if (!d.file.empty()) {
    out += bold;
    out += format_location(d.file, d.pos);
    out += ":";
    out += reset;
    out += " ";
  }
  out += sev_colour;
  out += severity_name(d.severity);
  out += ":";
  out += reset;
  out += " ";
  out += d.message;
  out += "\n";
  if (!d.hint.empty()) {
    out += "  ";
    out += colour ? "\033[36m" : "";
    out += "hint:";
    out += reset;
    out += " ";
    out += d.hint;
    out += "\n";
  }
  return out;
}

std::string github_escape_data(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  return out;
}

std::string github_escape_property(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%') out += "%25";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else if (c == ':') out += "%3A";
    else if (c == ',') out += "%2C";
    else out += c;
  }
  return out;
}

std::string render_github(const Diagnostic& d) {
  std::string out = "::";
  out += d.severity == Severity::Error     ? "error"
         : d.severity == Severity::Warning ? "warning"
                                           : "notice";
  std::string props;
  if (!d.file.empty()) props += "file=" + github_escape_property(d.file);
  if (d.pos.known()) {
    props += ",line=" + std::to_string(d.pos.line);
    props += ",col=" + std::to_string(d.pos.col);
  }
  if (!d.code.empty()) {
    if (!props.empty()) props += ",";
    props += "title=" + github_escape_property("aclc " + d.code);
  }
  if (!props.empty()) out += " " + props;
  out += "::";
  std::string msg = d.message;
  if (!d.hint.empty()) msg += "\nhint: " + d.hint;
  out += github_escape_data(msg);
  out += "\n";
  return out;
}

std::string json_quote(std::string_view s) { return aclc::json_quote(s); }

std::string diagnostic_json(const Diagnostic& d) {
  std::string out = "{\"severity\":";
  out += json_quote(severity_name(d.severity));
  out += ",\"file\":" + json_quote(d.file);
  out += ",\"line\":" + std::to_string(d.pos.line);
  out += ",\"col\":" + std::to_string(d.pos.col);
  out += ",\"offset\":" + std::to_string(d.pos.offset);
  out += ",\"code\":" + json_quote(d.code);
  out += ",\"message\":" + json_quote(d.message);
  out += ",\"hint\":" + json_quote(d.hint);
  out += "}";
  return out;
}

}  // namespace aclc::cli
