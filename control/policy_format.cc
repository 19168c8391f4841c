#include "control/policy_format.h"

#include <cctype>

#include "compiler/common/json_text.h"
#include "compiler/front/hujson.h"

namespace aclc::control {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool same_fold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

void indent(std::string& out, int depth) {
  out += '\n';
  out.append(size_t(depth), '\t');
}

void write_pretty(std::string& out, const hujson::Value& v, int depth) {
  switch (v.kind) {
    case hujson::Kind::Null: out += "null"; return;
    case hujson::Kind::Bool: out += v.boolean ? "true" : "false"; return;
    case hujson::Kind::Number: out += v.text; return;
    case hujson::Kind::String: append_json_string(out, v.text); return;
    case hujson::Kind::Array:
      if (v.items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ',';
        indent(out, depth + 1);
        write_pretty(out, v.items[i], depth + 1);
      }
      indent(out, depth);
      out += ']';
      return;
    case hujson::Kind::Object:
      if (v.members.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      for (size_t i = 0; i < v.members.size(); ++i) {
        if (i) out += ',';
        indent(out, depth + 1);
        append_json_string(out, v.members[i].key);
        out += ": ";
        write_pretty(out, v.members[i].value, depth + 1);
      }
      indent(out, depth);
      out += '}';
      return;
  }
}

}  // namespace

PolicyFormat format_for_accept(std::string_view accept) {
  bool json = false;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    range = trim(range.substr(0, range.find(';')));
    if (same_fold(range, "application/hujson")) return PolicyFormat::HuJson;
    if (same_fold(range, "application/json")) json = true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return json ? PolicyFormat::Json : PolicyFormat::HuJson;
}

std::optional<std::string> normalized_json(std::string_view hujson_text) {
  hujson::Value root;
  try {
    root = hujson::parse(hujson_text);
  } catch (const hujson::SyntaxError&) {
    return std::nullopt;
  }
  std::string out;
  write_pretty(out, root, 0);
  out += '\n';
  return out;
}

const char* content_type(PolicyFormat f) {
  return f == PolicyFormat::Json ? "application/json" : "application/hujson";
}

}  // namespace aclc::control
