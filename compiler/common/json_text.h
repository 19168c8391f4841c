// Writing a string as a JSON string literal: the one escaping every JSON
// emitter in the project uses, so all of them agree byte for byte.
#pragma once

#include <string>
#include <string_view>

namespace aclc {

// Appends `s` quoted: '"' and '\\' escaped, \n \r \t as such, other control
// bytes as \u00XX; every other byte (UTF-8 included) as is.
void append_json_string(std::string& out, std::string_view s);

// The same, returned.
std::string json_quote(std::string_view s);

}  // namespace aclc
