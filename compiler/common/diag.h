// Positions and diagnostics shared by every stage of the pipeline.
//
// Every finding the project reports names file:line:col. A Pos is where a
// value starts in its source text; line and column are 1-based, the column is
// counted in bytes (as Tailscale's HuJSON parser counts it). line == 0 means
// "no position" (for example a finding about a whole file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aclc {

struct Pos {
  uint32_t line = 0;
  uint32_t col = 0;
  uint64_t offset = 0;
  bool known() const { return line != 0; }
};

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string file;     // the file the position refers to
  Pos pos;
  std::string message;  // Tailscale's wording where Tailscale has one
  std::string code;     // stable machine-readable id, e.g. "unknown-field"
  std::string hint;     // a suggested fix, may be empty
};

// An ordered list of findings. Stages append; the CLI renders.
class Diagnostics {
 public:
  void error(const std::string& file, Pos pos, std::string message,
             std::string code = "", std::string hint = "");
  void warning(const std::string& file, Pos pos, std::string message,
               std::string code = "", std::string hint = "");
  void add(Diagnostic d) { items_.push_back(std::move(d)); }

  bool has_errors() const;
  size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  // The first error in order of appearance, or nullptr.
  const Diagnostic* first_error() const;
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
};

// "file:line:col" (or "file" when the position is unknown).
std::string format_location(const std::string& file, Pos pos);

}  // namespace aclc
