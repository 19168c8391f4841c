#include "compiler/front/hujson.h"

#include <doctest/doctest.h>

#include <string>

using namespace aclc;
using namespace aclc::hujson;

namespace {

// The error of parsing `text`, as "line:col: message" ("" if it parses).
std::string error_of(std::string_view text, size_t max_depth = 512) {
  try {
    parse(text, ParseOptions{max_depth});
  } catch (const SyntaxError& e) {
    return std::to_string(e.pos().line) + ":" + std::to_string(e.pos().col) +
           ": " + e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("hujson: comments and trailing commas") {
  Value v = parse(
      "// leading\n{ /* block */ \"a\": [1, 2,], // tail\n \"b\": {\"c\": true,},\n}\n");
  REQUIRE(v.is_object());
  REQUIRE(v.members.size() == 2);
  CHECK(v.members[0].key == "a");
  CHECK(v.members[0].value.items.size() == 2);
  CHECK(v.members[1].value.members[0].value.boolean);
  CHECK(parse("/**/null/* x */").is_null());
}

TEST_CASE("hujson: grammar errors use the reference parser's wording") {
  CHECK(error_of("[,]") == "1:2: invalid character ',' at start of value");
  CHECK(error_of("{,}") == "1:2: invalid character ',' at start of value");
  CHECK(error_of("[1,,2]") == "1:4: invalid character ',' at start of value");
  // A line comment must end in a newline; the error is at the comment.
  CHECK(error_of("null//") == "1:5: parsing comment: unexpected EOF");
  CHECK(error_of("null /* open") == "1:6: parsing comment: unexpected EOF");
  CHECK(error_of("null//\n") == "");
  CHECK(error_of("[1] 2") == "1:5: invalid character '2' after top-level value");
  CHECK(error_of("[1],") == "1:4: invalid character ',' after top-level value");
  CHECK(error_of("+1000") == "1:1: invalid literal: +1000");
  CHECK(error_of("{a:1}") == "1:2: invalid literal: a");
  CHECK(error_of("{null:1}") == "1:2: invalid character 'n' at start of object name");
  CHECK(error_of("NaN") == "1:1: invalid literal: NaN");
  CHECK(error_of("#x") == "1:1: invalid character '#' at start of value");
  CHECK(error_of("'a'") == "1:1: invalid character '\\'' at start of value");
  CHECK(error_of("{\"a\" 1}") == "1:6: invalid character '1' after object name");
  CHECK(error_of("{\"a\":1 \"b\":2}") ==
        "1:8: invalid character '\"' after object value (expecting ',' or '}')");
  CHECK(error_of("[1 2]") ==
        "1:4: invalid character '2' after array value (expecting ',' or ']')");
  CHECK(error_of("") == "1:1: parsing value: unexpected EOF");
  CHECK(error_of("[1,") == "1:4: parsing value: unexpected EOF");
  CHECK(error_of("\"abc") == "1:5: parsing string: unexpected EOF");
  CHECK(error_of("{") == "1:2: parsing value: unexpected EOF");
  CHECK(error_of("{\"a\"") == "1:5: parsing object after name: unexpected EOF");
  CHECK(error_of("{\"a\":") == "1:6: parsing value: unexpected EOF");
  CHECK(error_of("{\"a\":1") == "1:7: parsing object after value: unexpected EOF");
  CHECK(error_of("[1") == "1:3: parsing array after value: unexpected EOF");
  CHECK(error_of("[1 / 2]") ==
        "1:4: invalid character '/' after array value (expecting ',' or ']')");
}

TEST_CASE("hujson: strings, escapes and surrogate pairs") {
  CHECK(parse(R"("a\"b\\c\/\b\f\n\r\t")").text == "a\"b\\c/\b\f\n\r\t");
  CHECK(parse(R"("\u00e9")").text == "\xc3\xa9");
  CHECK(parse(R"("\ud83d\ude00")").text == "\xf0\x9f\x98\x80");  // U+1F600
  CHECK(parse(R"("\ud83d")").text == "\xef\xbf\xbd");            // lone: U+FFFD
  CHECK(parse("\"\xf0\x9f\x98\x80\"").text == "\xf0\x9f\x98\x80");
  // The reference parser's words, then what is wrong and where.
  CHECK(error_of(R"("\x")") ==
        "1:1: invalid literal: \"\\x\" (invalid escape at line 1, column 2)");
  CHECK(error_of(R"("\u12")") ==
        "1:1: invalid literal: \"\\u12\" (invalid escape at line 1, column 2)");
  CHECK(error_of("\"a\tb\"") ==
        "1:1: invalid literal: \"a\\x09b\" (control character in string at line 1, column 3)");
}

TEST_CASE("hujson: invalid UTF-8 in strings and comments") {
  CHECK(error_of("[\"\xff\"]") ==
        "1:2: invalid literal: \"\\xff\" (invalid UTF-8 at line 1, column 3)");
  CHECK(error_of("\"\xc0\xaf\"").find("invalid literal") != std::string::npos);  // overlong
  CHECK(error_of("\"\xed\xa0\x80\"").find("invalid literal") != std::string::npos);  // surrogate
  CHECK(error_of("1 // \xff\n") == "1:3: invalid UTF-8 in comment");
  CHECK(error_of("1 /* \xe2\x82 */") == "1:3: invalid UTF-8 in comment");
  CHECK(error_of("1 // \xe2\x82\xac\n") == "");
}

TEST_CASE("hujson: numbers") {
  for (const char* ok : {"0", "-0", "12", "1.5", "-1.5e10", "1E+2", "1e-2"}) {
    Value v = parse(ok);
    CHECK(v.is_number());
    CHECK(v.text == ok);
  }
  for (const char* bad : {"01", "1.", ".5", "1e", "--1", "1.2.3", "0x10", "-"})
    CHECK_MESSAGE(error_of(bad).find("invalid literal: " + std::string(bad)) !=
                      std::string::npos, bad);
}

TEST_CASE("hujson: positions are line, byte column and offset") {
  Value v = parse("{\n  \"k\": [\"x\",\n\t\"\xc3\xa9\", \"y\"]\n}");
  const Member& m = v.members[0];
  CHECK(m.key_pos.line == 2);
  CHECK(m.key_pos.col == 3);
  CHECK(m.key_pos.offset == 4);
  CHECK(m.value.items[0].pos.line == 2);
  CHECK(m.value.items[0].pos.col == 9);
  CHECK(m.value.items[1].pos.line == 3);
  CHECK(m.value.items[1].pos.col == 2);
  // Columns count bytes: "é" is two.
  CHECK(m.value.items[2].pos.col == 8);
  CHECK(error_of("{\n\"a\": [\n  1,\n  x]}") == "4:3: invalid literal: x");
}

TEST_CASE("hujson: duplicate keys are all kept in order") {
  Value v = parse(R"({"a": 1, "A": 2, "a": 3})");
  REQUIRE(v.members.size() == 3);
  CHECK(v.members[2].value.text == "3");
}

TEST_CASE("hujson: nesting deeper than the limit is an error, not a crash") {
  CHECK(error_of("[[[1]]]", 3) == "1:4: exceeded max depth of 3");
  CHECK(error_of("[[[1]]]", 4) == "");
  std::string deep(1000000, '[');
  CHECK(error_of(deep).find("exceeded max depth") != std::string::npos);
  std::string objs;
  for (int i = 0; i < 100000; i++) objs += "{\"a\":";
  CHECK(error_of(objs).find("exceeded max depth") != std::string::npos);
}

TEST_CASE("hujson: to_json writes standard JSON") {
  Value v = parse("{/*c*/\"a\": [1, \"x\\n\", null, true,],}");
  CHECK(to_json(v) == R"({"a":[1,"x\n",null,true]})");
}
