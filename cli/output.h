// How the CLI presents findings: text for people (colour only on a TTY),
// json for programs (stable, documented in docs/json-output.md), github for
// workflow annotations (::error file=…,line=…,col=…::…).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/common/diag.h"

namespace aclc::cli {

enum class Format { Text, Json, Github };

std::optional<Format> parse_format(std::string_view s);

// Exit codes shared by every command.
enum Exit : int { kPass = 0, kPolicyFailure = 1, kUsageOrIO = 2 };

// True if colour should be used on this stream: a TTY, NO_COLOR unset,
// TERM not "dumb".
bool use_colour(std::FILE* stream);

// "file:3:7: error: message" with an indented hint line; coloured if asked.
std::string render_text(const Diagnostic& d, bool colour);

// One GitHub Actions workflow command per diagnostic.
std::string render_github(const Diagnostic& d);

// Escapes for workflow command data and properties.
std::string github_escape_data(std::string_view s);
std::string github_escape_property(std::string_view s);

// JSON string literal (quotes included).
std::string json_quote(std::string_view s);

// A diagnostic as a JSON object (see docs/json-output.md).
std::string diagnostic_json(const Diagnostic& d);

const char* severity_name(Severity s);

}  // namespace aclc::cli
