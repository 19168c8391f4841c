// Whole-file reads with a size bound (meshd reads keys and bundles that an
// attacker may have replaced with something huge or endless, e.g. a FIFO)
// and atomic writes (a crash leaves the old file or the new one, never half
// of one).
#ifndef ACLC_RUNTIME_MESHD_FILES_H_
#define ACLC_RUNTIME_MESHD_FILES_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aclc::meshd {

// The regular file's bytes, at most max_bytes. nullopt with `error`
// ("PATH: reason") if it cannot be read, is not a regular file, or is
// larger. The caller wipes the result if it is secret.
std::optional<std::vector<uint8_t>> read_file_bounded(const std::string& path, size_t max_bytes,
                                                      std::string& error);

// Writes `data` to a temporary file in the same directory, fsyncs it,
// renames it over `path` and fsyncs the directory. Mode 0600: state is
// meshd's alone. False with `error` on failure; `path` is then unchanged.
bool write_file_atomic(const std::string& path, const std::vector<uint8_t>& data,
                       std::string& error);

// mkdir -p with mode 0700 for directories it creates. False with `error`.
bool make_directories(const std::string& path, std::string& error);

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_FILES_H_
