// Decoding JSON objects the way Go's encoding/json decodes Tailscale's
// policy: keys match field names case-insensitively, an unknown key is
// `json: unknown field "<key>"`, and of duplicate keys the last one wins
// (aclc warns at each earlier one, since Tailscale silently drops it).
//
// Decoding errors are what Tailscale reports before any validation, so
// they go to their own Diagnostics; parse_policy puts them first.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/common/diag.h"
#include "compiler/front/hujson.h"

namespace aclc::policy {

// Where diagnostics of one file go, split by phase.
struct DecodeSink {
  std::string file;
  Diagnostics* decode = nullptr;    // JSON shape: unknown fields, types
  Diagnostics* validate = nullptr;  // everything Tailscale checks after
};

// ASCII case-insensitive equality (Go's field-name folding for ASCII keys).
bool equal_fold(std::string_view a, std::string_view b);

// The members of one JSON object, matched against a fixed set of field
// names. Construct it, then ask for each field; `get` returns the winning
// member (the last of its case-insensitive duplicates) or nullptr. The
// constructor reports unknown keys and duplicates. If `v` is not an object
// (and not null) a type error is reported and every get() returns nullptr.
class ObjectFields {
 public:
  ObjectFields(const hujson::Value& v, std::initializer_list<const char*> names,
               const char* what, const DecodeSink& sink);

  const hujson::Member* get(std::string_view name) const;

 private:
  std::vector<std::string> names_;
  std::vector<const hujson::Member*> winner_;  // per name
};

// Type checks with Go-style messages at the value's position
// (`json: cannot unmarshal number into acls[0].src of type []string`).
// Null decodes as the zero value (Go semantics) and is accepted: the
// functions below return false for null without reporting anything.
bool expect_kind(const hujson::Value& v, hujson::Kind kind, const char* what,
                 const char* go_type, const DecodeSink& sink);

// A string, or nullopt (null or a type error, which is reported).
std::optional<std::string> decode_string(const hujson::Value& v,
                                         const char* what,
                                         const DecodeSink& sink);
// A bool, or nullopt.
std::optional<bool> decode_bool(const hujson::Value& v, const char* what,
                                const DecodeSink& sink);

// A list of strings; non-string items are reported and skipped. Each item
// comes with its position. Null is an empty list.
struct PosString {
  std::string text;
  Pos pos;
};
std::vector<PosString> decode_string_list(const hujson::Value& v,
                                          const char* what,
                                          const DecodeSink& sink);

}  // namespace aclc::policy
