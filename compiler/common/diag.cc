#include "compiler/common/diag.h"

namespace aclc {

void Diagnostics::error(const std::string& file, Pos pos, std::string message,
                        std::string code, std::string hint) {
  items_.push_back({Severity::Error, file, pos, std::move(message),
                    std::move(code), std::move(hint)});
}

void Diagnostics::warning(const std::string& file, Pos pos,
                          std::string message, std::string code,
                          std::string hint) {
  items_.push_back({Severity::Warning, file, pos, std::move(message),
                    std::move(code), std::move(hint)});
}

bool Diagnostics::has_errors() const { return first_error() != nullptr; }

size_t Diagnostics::error_count() const {
  size_t n = 0;
  for (const auto& d : items_) n += d.severity == Severity::Error;
  return n;
}

const Diagnostic* Diagnostics::first_error() const {
  for (const auto& d : items_)
    if (d.severity == Severity::Error) return &d;
  return nullptr;
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

std::string format_location(const std::string& file, Pos pos) {
  if (!pos.known()) return file;
  return file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col);
}

}  // namespace aclc
