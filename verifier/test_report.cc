#include "verifier/test_report.h"

namespace aclc::verify {

std::string message_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace aclc::verify
