// Registration with `aclc serve` (POST /api/v2/machine/register, a
// pre-auth key as the bearer credential) and the node key it returns: the
// device's own credential for fetching its bundle, kept in the state
// directory as `node.key` (mode 0600) so registration happens once.
#ifndef ACLC_RUNTIME_MESHD_NODE_REGISTRATION_H_
#define ACLC_RUNTIME_MESHD_NODE_REGISTRATION_H_

#include <optional>
#include <string>
#include <vector>

namespace aclc::meshd {

struct RegistrationRequest {
  std::string hostname;              // the device name its bundles carry
  std::string wireguard_public_key;  // base64
  std::vector<std::string> endpoints;  // "host:port" where peers reach it
};

// The JSON body of the registration request.
std::string registration_body(const RegistrationRequest& r);

struct RegistrationAnswer {
  std::string node_key;            // "aclc-node-…"; the caller wipes it
  std::string hostname;
  std::string control_public_key;  // as the server reports it; may be ""
};
// Parses a 200 answer. nullopt with `error` if it has no usable nodeKey.
std::optional<RegistrationAnswer> parse_registration_answer(const std::string& body,
                                                            std::string& error);
// The "message" of an error answer, or the body's first 200 bytes.
std::string server_message(const std::string& body);

// A plausible aclc credential: printable, no whitespace, at most 256
// bytes. Anything else in a key file is refused before it is sent.
bool plausible_key(const std::string& key);

// The key file's first line, whitespace trimmed; nullopt with `error` if
// unreadable or implausible. Every other copy is wiped.
std::optional<std::string> read_key_file(const std::string& path, std::string& error);
// Writes `node_key` to DIR/node.key atomically, mode 0600.
bool save_node_key(const std::string& state_dir, const std::string& node_key, std::string& error);
std::string node_key_path(const std::string& state_dir);

// Wipes a string holding a credential.
void wipe_string(std::string& s);

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_NODE_REGISTRATION_H_
