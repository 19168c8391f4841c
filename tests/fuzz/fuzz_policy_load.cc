// Fuzzes the policy decoder in both dialects. Beyond "never crash, throw,
// hang or overflow the stack", it checks parse_policy's contract:
//  - it returns nullopt only when the text is not HuJSON or its top level is
//    not an object, and then it has reported an error;
//  - every diagnostic names the file, says something, and has a position
//    inside the input whose line and column agree with its byte offset;
//  - aclc's dialect extends Tailscale's: a policy Tailscale accepts decodes
//    without errors as aclc too.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/front/hujson.h"
#include "compiler/front/policy_load.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace aclc;

const char kFile[] = "fuzz.hujson";

bool is_hujson_object(std::string_view text) {
  try {
    return hujson::parse(text).is_object();
  } catch (const hujson::SyntaxError&) {
    return false;
  }
}

// Returns whether the policy decoded without errors.
bool decode(std::string_view text, Dialect dialect, bool hujson_object) {
  Diagnostics diags;
  std::optional<policy::Policy> p =
      policy::parse_policy(text, kFile, dialect, diags);
  const char* name = dialect_name(dialect);
  FUZZ_CHECK(p.has_value() || diags.has_errors(),
             "%s: no policy and no error", name);
  FUZZ_CHECK(p.has_value() || !hujson_object,
             "%s: no policy for a HuJSON object", name);
  if (p) FUZZ_CHECK(p->dialect == dialect, "%s: dialect not kept", name);
  for (const Diagnostic& d : diags.items()) {
    FUZZ_CHECK(d.file == kFile, "%s: diagnostic names file '%s'", name,
               d.file.c_str());
    FUZZ_CHECK(!d.message.empty(), "%s: empty diagnostic", name);
    if (!d.pos.known()) continue;
    FUZZ_CHECK(d.pos.offset <= text.size(), "%s: '%s' at offset %llu past %zu",
               name, d.message.c_str(), (unsigned long long)d.pos.offset,
               text.size());
    Pos want = hujson::position_of(text, d.pos.offset);
    FUZZ_CHECK(d.pos.line == want.line && d.pos.col == want.col,
               "%s: '%s' at %u:%u but offset %llu is %u:%u", name,
               d.message.c_str(), d.pos.line, d.pos.col,
               (unsigned long long)d.pos.offset, want.line, want.col);
  }
  return p.has_value() && !diags.has_errors();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Policies are small files; longer inputs only slow the search down.
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool object = is_hujson_object(text);
  bool tailscale_ok = decode(text, Dialect::Tailscale, object);
  bool aclc_ok = decode(text, Dialect::Aclc, object);
  FUZZ_CHECK(!tailscale_ok || aclc_ok,
             "accepted by the tailscale dialect but rejected by aclc's");
  return 0;
}
