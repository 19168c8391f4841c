// The two keys meshd is started with: this node's WireGuard private key and
// the control public key that must have signed every bundle it installs.
#ifndef ACLC_RUNTIME_MESHD_KEYS_H_
#define ACLC_RUNTIME_MESHD_KEYS_H_

#include <array>
#include <optional>
#include <string>

#include "compiler/bundle/bundle.h"
#include "runtime/wg/secret.h"

namespace aclc::meshd {

// A WireGuard private key in the form `wg genkey` writes: 44 characters of
// standard base64 (32 bytes), optional trailing whitespace. Every copy of
// the text is wiped. A file that others may read is accepted with a warning
// in `warning` (as `wg` does). nullopt with `error` otherwise.
std::optional<wg::PrivateKey> read_private_key_file(const std::string& path, std::string& error,
                                                    std::string& warning);
std::optional<wg::PrivateKey> parse_private_key(std::string_view text, std::string& error);

// The control public key as `aclc keygen` writes it to KEY.pub
// ("aclc-ed25519-public:<base64>"). nullopt with `error` otherwise.
std::optional<std::array<uint8_t, bundle::kPublicKeyBytes>> read_control_key_file(
    const std::string& path, std::string& error);

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_KEYS_H_
