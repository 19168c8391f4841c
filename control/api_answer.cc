#include "control/api_answer.h"

#include <rapidjson/document.h>

#include <cstdio>

namespace aclc::control {
namespace {

// "line 3, column 7: msg" -> position and msg.
Pos split_position(std::string& message) {
  Pos p;
  unsigned line = 0, col = 0;
  int used = 0;
  if (std::sscanf(message.c_str(), "line %u, column %u: %n", &line, &col, &used) == 2 && used > 0) {
    p.line = line;
    p.col = col;
    message = message.substr(size_t(used));
  }
  return p;
}

std::string str(const rapidjson::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

}  // namespace

std::string answer_message(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("message") && d["message"].IsString())
    return d["message"].GetString();
  std::string trimmed = body.substr(0, 300);
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  return trimmed;
}

bool answer_findings(const std::string& body, const std::string& file, Diagnostics& out) {
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return false;
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (d.HasParseError() || !d.IsObject()) {
    out.error(file, {}, "unexpected answer from the API: " + answer_message(body), "api");
    return true;
  }
  std::string message = d.HasMember("message") ? str(d["message"]) : "";
  bool has_data = d.HasMember("data") && d["data"].IsArray() && !d["data"].Empty();
  if (message.empty() && !has_data) return false;
  bool any = false;
  // aclc serve: every error at its position.
  if (d.HasMember("errors") && d["errors"].IsArray()) {
    for (const auto& e : d["errors"].GetArray()) {
      if (!e.IsObject() || !e.HasMember("message")) continue;
      Pos p;
      if (e.HasMember("line") && e["line"].IsUint()) p.line = e["line"].GetUint();
      if (e.HasMember("column") && e["column"].IsUint()) p.col = e["column"].GetUint();
      out.error(file, p, str(e["message"]), "api",
                e.HasMember("hint") ? str(e["hint"]) : std::string());
      any = true;
    }
  }
  if (d.HasMember("warnings") && d["warnings"].IsArray()) {
    for (const auto& e : d["warnings"].GetArray()) {
      if (!e.IsObject() || !e.HasMember("message")) continue;
      Pos p;
      if (e.HasMember("line") && e["line"].IsUint()) p.line = e["line"].GetUint();
      if (e.HasMember("column") && e["column"].IsUint()) p.col = e["column"].GetUint();
      out.warning(file, p, str(e["message"]), "api");
    }
  }
  if (any) return true;
  // Tailscale: test failures per user, else the first error.
  if (has_data) {
    for (const auto& entry : d["data"].GetArray()) {
      if (!entry.IsObject()) continue;
      std::string user = entry.HasMember("user") ? str(entry["user"]) : "";
      if (entry.HasMember("errors") && entry["errors"].IsArray())
        for (const auto& e : entry["errors"].GetArray()) {
          std::string m = str(e);
          Pos p = split_position(m);
          out.error(file, p, user.empty() ? m : "for user " + user + ": " + m, "api");
          any = true;
        }
    }
  }
  if (!any) {
    Pos p = split_position(message);
    out.error(file, p, message, "api");
  }
  return true;
}

}  // namespace aclc::control
