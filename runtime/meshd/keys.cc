#include "runtime/meshd/keys.h"

#include <sodium.h>
#include <sys/stat.h>

#include <vector>

#include "runtime/meshd/files.h"

namespace aclc::meshd {
namespace {

// Key files are a line; anything much bigger is not a key file.
constexpr size_t kMaxKeyFile = 4096;

// Wipes a buffer that held key text when it goes out of scope.
struct WipeOnExit {
  std::vector<uint8_t>& bytes;
  ~WipeOnExit() { sodium_memzero(bytes.data(), bytes.size()); }
};

}  // namespace

std::optional<wg::PrivateKey> parse_private_key(std::string_view text, std::string& error) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t'))
    text.remove_suffix(1);
  wg::PrivateKey key;
  size_t len = 0;
  const char* end = nullptr;
  if (text.size() != 44 ||
      sodium_base642bin(key.data(), key.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != key.size() || end != text.data() + text.size()) {
    error = "not a WireGuard private key (44 characters of base64, as `wg genkey` writes)";
    return std::nullopt;
  }
  return key;
}

std::optional<wg::PrivateKey> read_private_key_file(const std::string& path, std::string& error,
                                                    std::string& warning) {
  auto data = read_file_bounded(path, kMaxKeyFile, error);
  if (!data) return std::nullopt;
  WipeOnExit wipe{*data};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    warning = path + " is accessible to other users (chmod 600 it)";
  std::string why;
  auto key = parse_private_key(
      std::string_view(reinterpret_cast<const char*>(data->data()), data->size()), why);
  if (!key) {
    error = path + ": " + why;
    return std::nullopt;
  }
  return key;
}

std::optional<std::array<uint8_t, bundle::kPublicKeyBytes>> read_control_key_file(
    const std::string& path, std::string& error) {
  auto data = read_file_bounded(path, kMaxKeyFile, error);
  if (!data) return std::nullopt;
  WipeOnExit wipe{*data};  // in case it is the secret key by mistake
  std::string why;
  auto key = bundle::public_key_from_text(
      std::string_view(reinterpret_cast<const char*>(data->data()), data->size()), why);
  if (!key) {
    error = path + ": " + why;
    if (std::string_view(reinterpret_cast<const char*>(data->data()), data->size())
            .starts_with("aclc-ed25519-secret:"))
      error = path + ": this is the secret signing key; give meshd the public key (KEY.pub)";
    return std::nullopt;
  }
  return key;
}

}  // namespace aclc::meshd
