// HuJSON (JWCC: JSON With Commas and Comments), the syntax of a Tailscale
// policy file.
//
// The grammar is RFC 8259 plus `//` and `/* */` comments wherever whitespace
// may appear, and one optional trailing comma in objects and arrays. Like
// Tailscale's reference parser, a `//` comment must end in a newline, strings
// and comments must be valid UTF-8, and there is exactly one top-level value.
// Errors use that parser's wording so editors and CI annotate them alike.
//
// Every value keeps the position where it starts; objects keep every member
// in source order, duplicates included (deciding what duplicates mean is the
// decoder's job, not the parser's).
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/common/diag.h"

namespace aclc::hujson {

enum class Kind { Null, Bool, Number, String, Array, Object };

struct Member;

struct Value {
  Kind kind = Kind::Null;
  Pos pos;                    // first byte of the value
  uint64_t end_offset = 0;    // one past its last byte
  bool boolean = false;       // Kind::Bool
  std::string text;           // String: decoded UTF-8; Number: the literal
  std::vector<Value> items;   // Kind::Array
  std::vector<Member> members;  // Kind::Object, in source order

  bool is_null() const { return kind == Kind::Null; }
  bool is_string() const { return kind == Kind::String; }
  bool is_array() const { return kind == Kind::Array; }
  bool is_object() const { return kind == Kind::Object; }
  bool is_bool() const { return kind == Kind::Bool; }
  bool is_number() const { return kind == Kind::Number; }
};

struct Member {
  std::string key;  // decoded
  Pos key_pos;
  Value value;
};

// The name of a kind as a policy author would say it ("string", "array", ...).
const char* kind_name(Kind k);

struct ParseOptions {
  // Deeper nesting is an error, never a stack overflow.
  size_t max_depth = 512;
};

class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(Pos pos, const std::string& message)
      : std::runtime_error(message), pos_(pos) {}
  Pos pos() const { return pos_; }

 private:
  Pos pos_;
};

// Parses one HuJSON document. Throws SyntaxError with the position of the
// offending byte and a message in Tailscale's HuJSON wording.
Value parse(std::string_view text, const ParseOptions& options = {});

// Position (1-based line, 1-based byte column) of a byte offset in text.
Pos position_of(std::string_view text, size_t offset);

// Serialises a value as compact standard JSON (no comments, no trailing
// commas). Numbers are written as their original literal.
std::string to_json(const Value& v);

}  // namespace aclc::hujson
