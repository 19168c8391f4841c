// Reading a policy API error answer as findings at positions in the policy
// file. Understands Tailscale's answers ({"message": "line 3, column 7:
// …"} and test failures {"message": "test(s) failed", "data": [{"user",
// "errors"}]}) and aclc serve's, which add "errors": [{"line", "column",
// "message", "hint"}] (every error, each at its position) and "warnings".
#pragma once

#include <string>

#include "compiler/common/diag.h"

namespace aclc::control {

// Appends the answer's findings to `out`, positioned in `file`. Returns
// false when the body says nothing (empty, "{}", or no message/data): the
// policy passed.
bool answer_findings(const std::string& body, const std::string& file, Diagnostics& out);

// The "message" of an error body, or the body itself when it is not JSON.
std::string answer_message(const std::string& body);

}  // namespace aclc::control
