// The control server's credentials. Three kinds, told apart by prefix:
//
//   aclc-api-<id>-<secret>   an administrator's API key (policy, devices,
//                            auth keys); made by `aclc serve --create-api-key`
//   aclc-auth-<id>-<secret>  a pre-auth key: registers devices (once, or
//                            many times if reusable), carrying their tags
//                            and owner
//   aclc-node-<id>-<secret>  a device's own key, issued at registration: it
//                            fetches that device's bundle and nothing else
//
// <id> is 16 hex digits that find the record; <secret> is 64 hex digits
// (256 random bits). Only SHA-256 of the whole key is stored; a key is shown
// once, when it is made. With 256 bits of entropy a plain hash suffices (no
// password stretching) and comparisons are constant-time.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aclc::control {

enum class KeyKind { Api, Auth, Node };

const char* key_kind_name(KeyKind k);  // "api", "auth", "node"
std::optional<KeyKind> key_kind_from_name(std::string_view s);

struct Credential {
  std::string id;                     // 16 hex digits
  KeyKind kind = KeyKind::Api;
  std::string name;                   // api: who (commit author); auth: description
  std::array<uint8_t, 32> hash{};     // SHA-256 of the key text
  uint64_t created = 0;               // Unix seconds
  uint64_t expires = 0;               // Unix seconds; 0: never
  // auth keys
  bool reusable = false;
  bool used = false;
  std::vector<std::string> tags;      // given to the devices it registers
  std::string user;                   // owner of the devices it registers
  // node keys
  std::string device_id;
};

// A fresh credential of `kind` (id, hash, created = now). Returns the key
// text, which is shown once and never stored.
std::string make_key(KeyKind kind, Credential& out, uint64_t now);

enum class AuthResult {
  Ok,
  Malformed,  // not a key of any kind
  Unknown,    // well formed, but no such key (or revoked)
  WrongKind,  // a valid key of another kind
  Expired,    // a valid key past its expiry, or a used one-off auth key
};

// Finds and checks `key` among `creds`. On Ok (and WrongKind/Expired)
// `index` is the record's position. Compares hashes in constant time.
AuthResult authenticate(const std::vector<Credential>& creds, std::string_view key,
                        KeyKind want, uint64_t now, size_t& index);

// The hex of a hash, and back (for the state file).
std::string hash_to_hex(const std::array<uint8_t, 32>& h);
bool hash_from_hex(std::string_view hex, std::array<uint8_t, 32>& out);

}  // namespace aclc::control
