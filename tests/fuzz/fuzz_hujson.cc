// Fuzzes the HuJSON parser. Beyond "never crash, hang or overflow the stack"
// (libFuzzer and the sanitizers catch those), it checks:
//  - the only failure is SyntaxError, at a position inside the input whose
//    line and column agree with its byte offset;
//  - every parsed value's position agrees with its offset and its extent lies
//    inside the input;
//  - to_json is a fixed point: to_json(parse(to_json(v))) == to_json(v).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/front/hujson.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using aclc::Pos;
using namespace aclc::hujson;

// Byte offsets where each line starts, so that a position can be checked in
// O(log n) rather than by rescanning the text.
class LineTable {
 public:
  explicit LineTable(std::string_view text) {
    starts_.push_back(0);
    for (size_t k = 0; k < text.size(); k++)
      if (text[k] == '\n') starts_.push_back(k + 1);
  }
  Pos at(uint64_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    size_t line = size_t(it - starts_.begin());
    return Pos{uint32_t(line), uint32_t(offset - starts_[line - 1] + 1), offset};
  }

 private:
  std::vector<uint64_t> starts_;
};

void check_pos(const LineTable& lines, Pos p, size_t size) {
  FUZZ_CHECK(p.known(), "position unknown");
  FUZZ_CHECK(p.offset <= size, "offset %llu past end %zu",
             (unsigned long long)p.offset, size);
  Pos want = lines.at(p.offset);
  FUZZ_CHECK(p.line == want.line && p.col == want.col,
             "offset %llu reported as %u:%u, is %u:%u",
             (unsigned long long)p.offset, p.line, p.col, want.line, want.col);
}

void check_value(const LineTable& lines, const Value& v, size_t size) {
  check_pos(lines, v.pos, size);
  FUZZ_CHECK(v.pos.offset < v.end_offset && v.end_offset <= size,
             "extent [%llu, %llu) outside input of %zu bytes",
             (unsigned long long)v.pos.offset,
             (unsigned long long)v.end_offset, size);
  for (const Value& item : v.items) {
    FUZZ_CHECK(item.pos.offset > v.pos.offset && item.end_offset < v.end_offset,
               "array item outside its array");
    check_value(lines, item, size);
  }
  for (const Member& m : v.members) {
    check_pos(lines, m.key_pos, size);
    FUZZ_CHECK(m.key_pos.offset < m.value.pos.offset,
               "member value before its key");
    check_value(lines, m.value, size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  LineTable lines(text);
  Value v;
  try {
    v = parse(text);
  } catch (const SyntaxError& e) {
    check_pos(lines, e.pos(), size);
    FUZZ_CHECK(e.what()[0] != '\0', "empty error message");
    return 0;
  }
  check_value(lines, v, size);

  std::string json = to_json(v);
  Value again;
  try {
    again = parse(json);
  } catch (const SyntaxError& e) {
    FUZZ_CHECK(false, "to_json output does not re-parse: %u:%u: %s\n%s",
               e.pos().line, e.pos().col, e.what(), json.c_str());
  }
  std::string json2 = to_json(again);
  FUZZ_CHECK(json == json2, "to_json not a fixed point:\n%s\n%s",
             json.c_str(), json2.c_str());
  return 0;
}
