// TransportKey over OpenSSL's EVP ChaCha20-Poly1305 (CMake ACLC_AEAD=openssl),
// chosen by bench/bench_aead.cc: OpenSSL's stitched code is 1.5-2x faster
// than libsodium's two passes from MTU size up, libsodium is faster for short
// messages (EVP's per-call setup dominates there). So: messages shorter than
// kOpenSslFrom, and any message if OpenSSL cannot set up a context, go to
// libsodium; the rest to one EVP context per direction, keyed once, with only
// the nonce set per message.
#include <openssl/evp.h>
#include <sodium.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "runtime/wg/aead.h"

namespace aclc::wg {
namespace {

// Payload bytes from which OpenSSL is faster here (bench_aead: even at
// ~500 B, 1.3-1.6x at 1420 B, 2-2.5x from 8 KiB).
constexpr size_t kOpenSslFrom = 512;

// Fetched once (an implicit fetch per init is measurably slower).
const EVP_CIPHER* chacha20_poly1305() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  return cipher;
}

void counter_nonce(uint64_t counter, uint8_t nonce[12]) {
  for (int i = 0; i < 4; ++i) nonce[i] = 0;
  for (int i = 0; i < 8; ++i) nonce[4 + i] = uint8_t(counter >> (8 * i));
}

struct ContextDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }  // cleanses the key schedule
};
using Context = std::unique_ptr<EVP_CIPHER_CTX, ContextDeleter>;

// A context keyed for one direction, or nullptr if OpenSSL cannot make one.
Context keyed_context(const Key& key, bool encrypt) {
  const EVP_CIPHER* cipher = chacha20_poly1305();
  if (cipher == nullptr) return nullptr;
  Context ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), nullptr, encrypt ? 1 : 0, nullptr) != 1)
    return nullptr;
  return ctx;
}

}  // namespace

struct TransportKey::Backend {
  Context seal, open;
  bool seal_failed = false, open_failed = false;  // OpenSSL refused: libsodium from now on
};

const char* aead_backend_name() { return "openssl"; }

TransportKey::TransportKey(const Key& key) : key_(key) {}
TransportKey::~TransportKey() = default;

bool TransportKey::seal(uint64_t counter, std::span<const uint8_t> plaintext, uint8_t* out) {
  if (plaintext.size() >= kOpenSslFrom && plaintext.size() <= size_t(INT32_MAX)) {
    if (!backend_) backend_ = std::make_unique<Backend>();
    Backend& b = *backend_;
    if (!b.seal && !b.seal_failed) b.seal_failed = !(b.seal = keyed_context(key_, true));
    if (b.seal) {
      uint8_t nonce[12];
      counter_nonce(counter, nonce);
      EVP_CIPHER_CTX* ctx = b.seal.get();
      int n = 0, tail = 0;
      // In place: the stream cipher writes each byte after reading it.
      return EVP_EncryptInit_ex2(ctx, nullptr, nullptr, nonce, nullptr) == 1 &&
             EVP_EncryptUpdate(ctx, out, &n, plaintext.data(), int(plaintext.size())) == 1 &&
             EVP_EncryptFinal_ex(ctx, out + n, &tail) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, int(kAeadTagSize), out + plaintext.size()) == 1;
    }
  }
  aead_seal(key_, counter, plaintext, {}, out);
  return true;
}

bool TransportKey::open(uint64_t counter, std::span<const uint8_t> ciphertext, uint8_t* out) {
  if (ciphertext.size() < kAeadTagSize) return false;
  const size_t length = ciphertext.size() - kAeadTagSize;
  if (length >= kOpenSslFrom && length <= size_t(INT32_MAX)) {
    if (!backend_) backend_ = std::make_unique<Backend>();
    Backend& b = *backend_;
    if (!b.open && !b.open_failed) b.open_failed = !(b.open = keyed_context(key_, false));
    if (b.open) {
      uint8_t nonce[12], tag[kAeadTagSize];
      counter_nonce(counter, nonce);
      std::memcpy(tag, ciphertext.data() + length, kAeadTagSize);
      EVP_CIPHER_CTX* ctx = b.open.get();
      int n = 0, tail = 0;
      // OpenSSL decrypts before it verifies: on a bad tag, wipe what it wrote.
      bool ok = EVP_DecryptInit_ex2(ctx, nullptr, nullptr, nonce, nullptr) == 1 &&
                EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, int(kAeadTagSize), tag) == 1 &&
                EVP_DecryptUpdate(ctx, out, &n, ciphertext.data(), int(length)) == 1 &&
                EVP_DecryptFinal_ex(ctx, out + n, &tail) == 1;
      if (!ok) sodium_memzero(out, length);
      return ok;
    }
  }
  if (aead_open(key_, counter, ciphertext, {}, out)) return true;
  if (length > 0) sodium_memzero(out, length);
  return false;
}

}  // namespace aclc::wg
