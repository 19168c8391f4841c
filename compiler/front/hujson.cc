#include "compiler/front/hujson.h"
#include "compiler/common/json_text.h"

#include <cstdio>

namespace aclc::hujson {
namespace {

bool is_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Bytes that can continue a bare literal (number, true, false, null, or a
// bare word the author meant as one); read together so the error names it.
bool is_literal_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c == '-' || c == '+' || c == '.';
}

// Go's %q of one byte, as the reference parser prints the offending rune.
std::string quote_byte(unsigned char c) {
  char buf[16];
  if (c == '\'') return "'\\''";
  if (c >= 0x20 && c < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else if (c == '\n') {
    return "'\\n'";
  } else if (c == '\t') {
    return "'\\t'";
  } else if (c == '\r') {
    return "'\\r'";
  } else if (c < 0x80) {
    std::snprintf(buf, sizeof buf, "'\\x%02x'", c);
  } else {
    std::snprintf(buf, sizeof buf, "'\\x%02x'", c);
  }
  return buf;
}

// A literal for an error message: at most 60 bytes, bytes that are not
// printable ASCII written as \xNN.
std::string printable_excerpt(std::string_view s) {
  std::string out;
  size_t limit = 60;
  for (size_t i = 0; i < s.size() && i < limit; i++) {
    unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > limit) out += "...";
  return out;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid
// (overlong forms, surrogates and values above U+10FFFF are invalid).
size_t utf8_len(std::string_view s, size_t i) {
  auto b = [&](size_t k) -> unsigned { return (unsigned char)s[i + k]; };
  unsigned c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3f);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) return 0;
  return n;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += char(0xe0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xf0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3f));
    out += char(0x80 | ((cp >> 6) & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
}

bool valid_number(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') i++;
  if (i >= n) return false;
  if (s[i] == '0') {
    i++;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    i++;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == start) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == start) return false;
  }
  return i == n;
}

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& opts)
      : s_(text), opts_(opts) {}

  Value parse_document() {
    skip_ws("value");
    if (i_ >= s_.size()) fail_eof("value");
    Value v = parse_value(0);
    skip_ws("value");
    if (i_ < s_.size())
      fail(i_, "invalid character " + quote_byte(s_[i_]) +
                   " after top-level value");
    return v;
  }

 private:
  [[noreturn]] void fail(size_t at, const std::string& msg) {
    throw SyntaxError(position_of(s_, at), msg);
  }
  [[noreturn]] void fail_eof(const char* what) {
    fail(s_.size(), std::string("parsing ") + what + ": unexpected EOF");
  }

  // Whitespace and comments. Like the reference parser, a comment error
  // is reported at the comment's first byte, and a '/' that starts no
  // comment ends the whitespace (the caller then names it as an unexpected
  // character where it stands).
  void skip_ws(const char* /*context*/) {
    while (i_ < s_.size()) {
      unsigned char c = s_[i_];
      if (is_ws(c)) {
        i_++;
      } else if (c == '/' && i_ + 1 < s_.size() &&
                 (s_[i_ + 1] == '/' || s_[i_ + 1] == '*')) {
        bool line = s_[i_ + 1] == '/';
        size_t start = i_;
        size_t end = line ? s_.find('\n', start + 2) : s_.find("*/", start + 2);
        if (end == std::string_view::npos) fail(start, "parsing comment: unexpected EOF");
        end += line ? 1 : 2;
        for (size_t k = start; k < end;) {
          size_t n = utf8_len(s_, k);
          if (n == 0) fail(start, "invalid UTF-8 in comment");
          k += n;
        }
        i_ = end;
      } else {
        return;
      }
    }
  }

  Value parse_value(size_t depth) {
    if (depth >= opts_.max_depth)
      fail(i_, "exceeded max depth of " + std::to_string(opts_.max_depth));
    Value v;
    v.pos = position_of_cached(i_);
    unsigned char c = s_[i_];
    if (c == '{') {
      parse_object(v, depth);
    } else if (c == '[') {
      parse_array(v, depth);
    } else if (c == '"') {
      v.kind = Kind::String;
      v.text = parse_string();
    } else if (is_literal_byte(c)) {
      parse_literal(v);
    } else {
      fail(i_, "invalid character " + quote_byte(c) + " at start of value");
    }
    v.end_offset = i_;
    return v;
  }

  void parse_literal(Value& v) {
    size_t start = i_;
    while (i_ < s_.size() && is_literal_byte(s_[i_])) i_++;
    std::string_view lit = s_.substr(start, i_ - start);
    if (lit == "null") {
      v.kind = Kind::Null;
    } else if (lit == "true" || lit == "false") {
      v.kind = Kind::Bool;
      v.boolean = lit == "true";
    } else if (valid_number(lit)) {
      v.kind = Kind::Number;
      v.text = std::string(lit);
    } else {
      fail(start, "invalid literal: " + std::string(lit));
    }
  }

  // Like the reference parser: find the closing quote (a backslash skips
  // the next byte), then check the whole literal; anything invalid in it is
  // `invalid literal: "<literal>"` at the opening quote.
  std::string parse_string() {
    size_t start = i_;
    size_t end = start + 1;
    for (;; end++) {
      if (end >= s_.size()) {
        i_ = s_.size();
        fail_eof("string");
      }
      if (s_[end] == '\\') {
        end++;
        if (end >= s_.size()) {
          i_ = s_.size();
          fail_eof("string");
        }
        continue;
      }
      if (s_[end] == '"') break;
    }
    std::string out;
    size_t bad = 0;
    const char* why = "";
    if (!decode_string(s_.substr(start + 1, end - start - 1), out, bad, why)) {
      // The reference parser's words, then what is wrong and where: the
      // literal alone can be long, or hide the bad byte.
      Pos at = position_of(s_, start + 1 + bad);
      fail(start, "invalid literal: " +
                      printable_excerpt(s_.substr(start, end + 1 - start)) +
                      " (" + why + " at line " + std::to_string(at.line) +
                      ", column " + std::to_string(at.col) + ")");
    }
    i_ = end + 1;
    return out;
  }

  static bool hex4(std::string_view s, size_t at, uint32_t& v) {
    if (at + 4 > s.size()) return false;
    v = 0;
    for (size_t k = 0; k < 4; k++) {
      char h = s[at + k];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= h - '0';
      else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
      else return false;
    }
    return true;
  }

  // Decodes the body of a string literal (between the quotes). False if it
  // is not valid JSON: a control byte, a bad escape or invalid UTF-8.
  static bool decode_string(std::string_view s, std::string& out,
                            size_t& bad, const char*& why) {
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
      unsigned char c = s[i];
      bad = i;
      if (c < 0x20) {
        why = "control character in string";
        return false;
      }
      if (c != '\\') {
        size_t n = utf8_len(s, i);
        if (n == 0) {
          why = "invalid UTF-8";
          return false;
        }
        out.append(s.substr(i, n));
        i += n;
        continue;
      }
      why = "invalid escape";
      if (i + 1 >= s.size()) return false;
      char e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!hex4(s, i, cp)) return false;
          i += 4;
          // A surrogate pair is one character; a lone surrogate decodes to
          // U+FFFD, as Go's decoder does.
          if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < s.size() && s[i] == '\\' &&
              s[i + 1] == 'u') {
            uint32_t lo;
            if (hex4(s, i + 2, lo) && lo >= 0xdc00 && lo < 0xe000) {
              i += 6;
              append_utf8(out, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
              break;
            }
          }
          if (cp >= 0xd800 && cp < 0xe000) cp = 0xfffd;
          append_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return true;
  }

  // EOF messages follow the reference parser: where a value (or name) is
  // due it is "parsing value", after a name "parsing object after name",
  // after a value "parsing object|array after value".
  void parse_object(Value& v, size_t depth) {
    v.kind = Kind::Object;
    i_++;  // '{'
    for (;;) {
      skip_ws("value");
      if (i_ >= s_.size()) fail_eof("value");
      if (s_[i_] == '}') {  // empty object or trailing comma
        i_++;
        return;
      }
      if (s_[i_] != '"') {
        // As the reference parser: read a value, then reject it as a name.
        size_t start = i_;
        parse_value(depth + 1);
        fail(start, "invalid character " + quote_byte(s_[start]) +
                        " at start of object name");
      }
      Member m;
      m.key_pos = position_of_cached(i_);
      m.key = parse_string();
      skip_ws("object after name");
      if (i_ >= s_.size()) fail_eof("object after name");
      if (s_[i_] != ':')
        fail(i_, "invalid character " + quote_byte(s_[i_]) +
                     " after object name");
      i_++;
      skip_ws("value");
      if (i_ >= s_.size()) fail_eof("value");
      m.value = parse_value(depth + 1);
      v.members.push_back(std::move(m));
      skip_ws("object after value");
      if (i_ >= s_.size()) fail_eof("object after value");
      if (s_[i_] == '}') {
        i_++;
        return;
      }
      if (s_[i_] != ',')
        fail(i_, "invalid character " + quote_byte(s_[i_]) +
                     " after object value (expecting ',' or '}')");
      i_++;
    }
  }

  void parse_array(Value& v, size_t depth) {
    v.kind = Kind::Array;
    i_++;  // '['
    for (;;) {
      skip_ws("value");
      if (i_ >= s_.size()) fail_eof("value");
      if (s_[i_] == ']') {  // empty array or trailing comma
        i_++;
        return;
      }
      v.items.push_back(parse_value(depth + 1));
      skip_ws("array after value");
      if (i_ >= s_.size()) fail_eof("array after value");
      if (s_[i_] == ']') {
        i_++;
        return;
      }
      if (s_[i_] != ',')
        fail(i_, "invalid character " + quote_byte(s_[i_]) +
                     " after array value (expecting ',' or ']')");
      i_++;
    }
  }

  // Positions are computed incrementally: values are visited in order, so
  // counting newlines since the last query keeps parsing linear.
  Pos position_of_cached(size_t at) {
    while (line_scan_ < at) {
      if (s_[line_scan_] == '\n') {
        line_++;
        line_start_ = line_scan_ + 1;
      }
      line_scan_++;
    }
    return Pos{line_, uint32_t(at - line_start_ + 1), at};
  }

  std::string_view s_;
  ParseOptions opts_;
  size_t i_ = 0;
  size_t line_scan_ = 0;
  size_t line_start_ = 0;
  uint32_t line_ = 1;
};

void write_string(std::string& out, const std::string& s) {
  append_json_string(out, s);
}

void write_value(std::string& out, const Value& v) {
  switch (v.kind) {
    case Kind::Null: out += "null"; break;
    case Kind::Bool: out += v.boolean ? "true" : "false"; break;
    case Kind::Number: out += v.text; break;
    case Kind::String: write_string(out, v.text); break;
    case Kind::Array:
      out += '[';
      for (size_t k = 0; k < v.items.size(); k++) {
        if (k) out += ',';
        write_value(out, v.items[k]);
      }
      out += ']';
      break;
    case Kind::Object:
      out += '{';
      for (size_t k = 0; k < v.members.size(); k++) {
        if (k) out += ',';
        write_string(out, v.members[k].key);
        out += ':';
        write_value(out, v.members[k].value);
      }
      out += '}';
      break;
  }
}

}  // namespace

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Null: return "null";
    case Kind::Bool: return "bool";
    case Kind::Number: return "number";
    case Kind::String: return "string";
    case Kind::Array: return "array";
    case Kind::Object: return "object";
  }
  return "value";
}

Value parse(std::string_view text, const ParseOptions& options) {
  return Parser(text, options).parse_document();
}

Pos position_of(std::string_view text, size_t offset) {
  if (offset > text.size()) offset = text.size();
  uint32_t line = 1;
  size_t line_start = 0;
  for (size_t k = 0; k < offset; k++) {
    if (text[k] == '\n') {
      line++;
      line_start = k + 1;
    }
  }
  return Pos{line, uint32_t(offset - line_start + 1), offset};
}

std::string to_json(const Value& v) {
  std::string out;
  write_value(out, v);
  return out;
}

}  // namespace aclc::hujson
