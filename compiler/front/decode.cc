#include "compiler/front/decode.h"

namespace aclc::policy {
namespace {

char fold(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Go's name for the JSON type it found.
const char* json_type(hujson::Kind k) {
  switch (k) {
    case hujson::Kind::Null: return "null";
    case hujson::Kind::Bool: return "bool";
    case hujson::Kind::Number: return "number";
    case hujson::Kind::String: return "string";
    case hujson::Kind::Array: return "array";
    case hujson::Kind::Object: return "object";
  }
  return "value";
}

}  // namespace

bool equal_fold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

bool expect_kind(const hujson::Value& v, hujson::Kind kind, const char* what,
                 const char* go_type, const DecodeSink& sink) {
  if (v.kind == kind) return true;
  if (v.is_null()) return false;
  sink.decode->error(sink.file, v.pos,
                     std::string("json: cannot unmarshal ") + json_type(v.kind) +
                         " into " + what + " of type " + go_type,
                     "json-type");
  return false;
}

ObjectFields::ObjectFields(const hujson::Value& v,
                           std::initializer_list<const char*> names,
                           const char* what, const DecodeSink& sink) {
  for (const char* n : names) names_.emplace_back(n);
  winner_.assign(names_.size(), nullptr);
  if (!expect_kind(v, hujson::Kind::Object, what, "object", sink)) return;
  for (const auto& m : v.members) {
    size_t k = 0;
    while (k < names_.size() && !equal_fold(names_[k], m.key)) k++;
    if (k == names_.size()) {
      sink.decode->error(sink.file, m.key_pos,
                         "json: unknown field " + quoted(m.key),
                         "unknown-field");
      continue;
    }
    if (const hujson::Member* prev = winner_[k]) {
      sink.decode->warning(
          sink.file, prev->key_pos,
          "duplicate key " + quoted(prev->key) + " in " + what +
              ": this one is ignored, the later " + quoted(m.key) + " at " +
              std::to_string(m.key_pos.line) + ":" +
              std::to_string(m.key_pos.col) + " wins",
          "duplicate-key", "remove one of the two");
    }
    winner_[k] = &m;
  }
}

const hujson::Member* ObjectFields::get(std::string_view name) const {
  for (size_t k = 0; k < names_.size(); k++)
    if (names_[k] == name) return winner_[k];
  return nullptr;
}

std::optional<std::string> decode_string(const hujson::Value& v,
                                         const char* what,
                                         const DecodeSink& sink) {
  if (!expect_kind(v, hujson::Kind::String, what, "string", sink))
    return std::nullopt;
  return v.text;
}

std::optional<bool> decode_bool(const hujson::Value& v, const char* what,
                                const DecodeSink& sink) {
  if (!expect_kind(v, hujson::Kind::Bool, what, "bool", sink))
    return std::nullopt;
  return v.boolean;
}

std::vector<PosString> decode_string_list(const hujson::Value& v,
                                          const char* what,
                                          const DecodeSink& sink) {
  std::vector<PosString> out;
  if (!expect_kind(v, hujson::Kind::Array, what, "[]string", sink)) return out;
  out.reserve(v.items.size());
  for (const auto& item : v.items) {
    // Go decodes null into a string slot as "".
    if (item.is_null()) {
      out.push_back({"", item.pos});
      continue;
    }
    if (!expect_kind(item, hujson::Kind::String, what, "string", sink))
      continue;
    out.push_back({item.text, item.pos});
  }
  return out;
}

}  // namespace aclc::policy
