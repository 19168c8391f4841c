// Reading the bundle signing key (`aclc keygen`) that compile, serve and
// rollback sign with. The file's text is wiped once the key is decoded.
#pragma once

#include <optional>
#include <string>

#include "compiler/bundle/bundle.h"

namespace aclc::cli {

// nullopt with `error` set to "signing key: <why>" when the file cannot be
// read, or "<path>: <why>" when it is not a signing key.
std::optional<bundle::SigningKey> read_signing_key(const std::string& path, std::string& error);

}  // namespace aclc::cli
