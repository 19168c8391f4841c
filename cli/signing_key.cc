#include "cli/signing_key.h"

#include <sodium.h>

#include "cli/file_io.h"

namespace aclc::cli {

std::optional<bundle::SigningKey> read_signing_key(const std::string& path, std::string& error) {
  std::string why;
  auto text = read_file(path, why);
  if (!text) {
    error = "signing key: " + why;
    return std::nullopt;
  }
  auto key = bundle::SigningKey::from_text(*text, why);
  sodium_memzero(text->data(), text->size());
  if (!key) error = path + ": " + why;
  return key;
}

}  // namespace aclc::cli
