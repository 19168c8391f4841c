// Files of the control server's state directory: written so that a crash
// (of the process or of the machine) leaves the old content or the new,
// never a mix and never an empty file.
#pragma once

#include <optional>
#include <string>

namespace aclc::control {

// Writes `data` to a temporary file beside `path` (created with `mode`),
// fsyncs it, renames it over `path`, and fsyncs the directory so that the
// rename itself is durable. On failure returns false, sets `error`, and
// leaves `path` untouched.
bool write_durable(const std::string& path, const std::string& data, std::string& error,
                   unsigned mode = 0600);

// The whole file; nullopt and `error` ("cannot read PATH: reason") on failure.
// A missing file sets `missing` when given.
std::optional<std::string> read_whole(const std::string& path, std::string& error,
                                      bool* missing = nullptr);

// fsync of a directory (after renames or unlinks in it).
bool sync_directory(const std::string& dir, std::string& error);

}  // namespace aclc::control
