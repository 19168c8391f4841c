#include "control/credentials.h"

#include <sodium.h>

namespace aclc::control {
namespace {

constexpr std::string_view kPrefix[] = {"aclc-api-", "aclc-auth-", "aclc-node-"};
constexpr size_t kIdHex = 16, kSecretHex = 64;

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string hex(2 * bytes + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
  sodium_memzero(raw.data(), raw.size());
  hex.pop_back();
  return hex;
}

std::array<uint8_t, 32> sha256(std::string_view s) {
  std::array<uint8_t, 32> h{};
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(s.data()), s.size());
  return h;
}

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

const char* key_kind_name(KeyKind k) {
  switch (k) {
    case KeyKind::Api: return "api";
    case KeyKind::Auth: return "auth";
    case KeyKind::Node: return "node";
  }
  return "?";
}

std::optional<KeyKind> key_kind_from_name(std::string_view s) {
  if (s == "api") return KeyKind::Api;
  if (s == "auth") return KeyKind::Auth;
  if (s == "node") return KeyKind::Node;
  return std::nullopt;
}

std::string make_key(KeyKind kind, Credential& out, uint64_t now) {
  out.kind = kind;
  out.id = random_hex(kIdHex / 2);
  out.created = now;
  std::string secret = random_hex(kSecretHex / 2);
  std::string key = std::string(kPrefix[int(kind)]) + out.id + "-" + secret;
  sodium_memzero(secret.data(), secret.size());
  out.hash = sha256(key);
  return key;
}

AuthResult authenticate(const std::vector<Credential>& creds, std::string_view key,
                        KeyKind want, uint64_t now, size_t& index) {
  std::optional<KeyKind> kind;
  std::string_view rest;
  for (int k = 0; k < 3; ++k)
    if (key.substr(0, kPrefix[k].size()) == kPrefix[k]) {
      kind = KeyKind(k);
      rest = key.substr(kPrefix[k].size());
    }
  if (!kind || rest.size() != kIdHex + 1 + kSecretHex || rest[kIdHex] != '-' ||
      !is_lower_hex(rest.substr(0, kIdHex)) || !is_lower_hex(rest.substr(kIdHex + 1)))
    return AuthResult::Malformed;
  std::string_view id = rest.substr(0, kIdHex);
  std::array<uint8_t, 32> h = sha256(key);
  // The id only locates the record; the secret is judged by the hash
  // alone, compared in constant time.
  for (size_t i = 0; i < creds.size(); ++i) {
    const Credential& c = creds[i];
    if (c.id != id || c.kind != *kind) continue;
    if (sodium_memcmp(c.hash.data(), h.data(), h.size()) != 0) return AuthResult::Unknown;
    index = i;
    if (c.kind != want) return AuthResult::WrongKind;
    if (c.expires != 0 && now >= c.expires) return AuthResult::Expired;
    if (c.kind == KeyKind::Auth && !c.reusable && c.used) return AuthResult::Expired;
    return AuthResult::Ok;
  }
  return AuthResult::Unknown;
}

std::string hash_to_hex(const std::array<uint8_t, 32>& h) {
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h.data(), h.size());
  return hex;
}

bool hash_from_hex(std::string_view hex, std::array<uint8_t, 32>& out) {
  if (hex.size() != 64 || !is_lower_hex(hex)) return false;
  size_t len = 0;
  return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len,
                        nullptr) == 0 &&
         len == 32;
}

}  // namespace aclc::control
