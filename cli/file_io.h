// Reading inputs and writing outputs the way every command needs: errors
// that name the file and the reason, and writes that are atomic (a reader
// sees the old file or the new one, never half of one).
#pragma once

#include <optional>
#include <string>

namespace aclc::cli {

// Reads a whole file ("-" is standard input). On failure returns nullopt and
// sets `error` to "cannot read FILE: reason".
std::optional<std::string> read_file(const std::string& path,
                                     std::string& error);

// Writes via a temporary file in the same directory, fsync, rename. The
// file is created with `mode` (before the umask) from the start, so a
// secret is never readable by others, not even briefly.
bool write_file_atomic(const std::string& path, const std::string& data,
                       std::string& error, unsigned mode = 0644);

}  // namespace aclc::cli
