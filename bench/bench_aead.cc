// ChaCha20-Poly1305 (RFC 8439, WireGuard's transport AEAD) from libsodium
// and from OpenSSL's EVP, side by side at the sizes meshd sees: keepalives
// (0 + 16 B), small packets, MTU-sized packets (1420 B) and buffers as large
// as a TSO super-packet (64 KiB). Each call is what runtime/wg/aead.h does
// per packet: a fresh 96-bit nonce from a counter, in place, no AD.
//
// OpenSSL is measured the way aead_openssl.cc uses it: one cipher fetched
// once, one context per direction keyed once, only the nonce set per call.
// The last column is what meshd runs: wg::TransportKey of this build's
// backend (ACLC_AEAD), which leaves short messages to libsodium. Prints ns
// per call and GB/s; the figures chose the backend (runtime/README.md).
//
//   cmake --build build --target aclc-bench-aead && build/aclc-bench-aead [--ms N]
#include <openssl/evp.h>
#include <sodium.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "runtime/wg/aead.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Key {
  uint8_t bytes[32];
};

void counter_nonce(uint64_t counter, uint8_t nonce[12]) {
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = uint8_t(counter >> (8 * i));
}

// ---- libsodium

void sodium_seal(const Key& k, uint64_t counter, uint8_t* buf, size_t len) {
  uint8_t nonce[12];
  counter_nonce(counter, nonce);
  unsigned long long n = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(buf, &n, buf, len, nullptr, 0, nullptr, nonce, k.bytes);
}

bool sodium_open(const Key& k, uint64_t counter, uint8_t* buf, size_t len) {
  uint8_t nonce[12];
  counter_nonce(counter, nonce);
  unsigned long long n = 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(buf, &n, nullptr, buf, len + 16, nullptr, 0, nonce,
                                                   k.bytes) == 0;
}

// ---- OpenSSL EVP

EVP_CIPHER* cipher() {
  static EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  return c;
}

struct Keyed {
  EVP_CIPHER_CTX* seal = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* open = EVP_CIPHER_CTX_new();
  explicit Keyed(const Key& k) {
    EVP_EncryptInit_ex2(seal, cipher(), k.bytes, nullptr, nullptr);
    EVP_DecryptInit_ex2(open, cipher(), k.bytes, nullptr, nullptr);
  }
  ~Keyed() {
    EVP_CIPHER_CTX_free(seal);
    EVP_CIPHER_CTX_free(open);
  }
};

void openssl_seal(Keyed& k, uint64_t counter, uint8_t* buf, size_t len) {
  uint8_t nonce[12];
  counter_nonce(counter, nonce);
  int n = 0;
  EVP_EncryptInit_ex2(k.seal, nullptr, nullptr, nonce, nullptr);
  EVP_EncryptUpdate(k.seal, buf, &n, buf, int(len));
  EVP_EncryptFinal_ex(k.seal, buf + n, &n);
  EVP_CIPHER_CTX_ctrl(k.seal, EVP_CTRL_AEAD_GET_TAG, 16, buf + len);
}

bool openssl_open(Keyed& k, uint64_t counter, uint8_t* buf, size_t len) {
  uint8_t nonce[12];
  counter_nonce(counter, nonce);
  int n = 0;
  EVP_DecryptInit_ex2(k.open, nullptr, nullptr, nonce, nullptr);
  EVP_CIPHER_CTX_ctrl(k.open, EVP_CTRL_AEAD_SET_TAG, 16, buf + len);
  EVP_DecryptUpdate(k.open, buf, &n, buf, int(len));
  return EVP_DecryptFinal_ex(k.open, buf + n, &n) > 0;
}

// Runs op for about `ms` milliseconds; ns per call.
double time_ns(const std::function<void(uint64_t)>& op, int ms) {
  uint64_t calls = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::milliseconds(ms);
  Clock::time_point now;
  do {
    for (int i = 0; i < 64; ++i) op(calls++);
    now = Clock::now();
  } while (now < end);
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count()) / double(calls);
}

}  // namespace

int main(int argc, char** argv) {
  int ms = 300;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ms") == 0 && i + 1 < argc) ms = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--ms N]   (time per figure, default 300)\n", argv[0]);
      return 2;
    }
  }
  if (sodium_init() < 0 || cipher() == nullptr) {
    std::fprintf(stderr, "bench_aead: libsodium or OpenSSL ChaCha20-Poly1305 unavailable\n");
    return 1;
  }
  Key key;
  randombytes_buf(key.bytes, sizeof key.bytes);
  Keyed keyed(key);
  aclc::wg::Key wg_key;
  std::memcpy(wg_key.data(), key.bytes, 32);
  aclc::wg::TransportKey transport_seal(wg_key), transport_open(wg_key);

  std::printf("ChaCha20-Poly1305, in place, per-call nonce; libsodium %s, %s; meshd's backend: %s\n",
              sodium_version_string(), OpenSSL_version(OPENSSL_VERSION), aclc::wg::aead_backend_name());
  std::printf("%-7s %-5s %11s %6s %11s %6s %11s %6s %9s\n", "bytes", "op", "sodium ns", "GB/s", "openssl ns",
              "GB/s", "meshd ns", "GB/s", "sod/ossl");
  for (size_t len : {size_t(0), size_t(64), size_t(512), size_t(768), size_t(1024), size_t(1420), size_t(8192),
                     size_t(65536)}) {
    std::vector<uint8_t> buf(len + 16), scratch(len + 16);
    randombytes_buf(buf.data(), buf.size());
    // Every implementation seals to the same bytes (RFC 8439).
    std::vector<uint8_t> a(buf), b(buf), c(buf);
    sodium_seal(key, 1, a.data(), len);
    openssl_seal(keyed, 1, b.data(), len);
    bool agree = transport_seal.seal(1, std::span<const uint8_t>(c.data(), len), c.data());
    if (a != b || a != c || !agree) {
      std::fprintf(stderr, "bench_aead: the implementations disagree at %zu bytes\n", len);
      return 1;
    }
    const std::vector<uint8_t>& sealed = a;
    bool ok = true;
    for (bool seal : {true, false}) {
      // open: a genuine message copied into scratch first (decryption is in
      // place); the copy is in every column.
      auto open_with = [&](auto&& open) {
        return [&, open](uint64_t) {
          std::memcpy(scratch.data(), sealed.data(), scratch.size());
          ok &= open();
        };
      };
      double s = seal ? time_ns([&](uint64_t n) { sodium_seal(key, n, buf.data(), len); }, ms)
                      : time_ns(open_with([&] { return sodium_open(key, 1, scratch.data(), len); }), ms);
      double o = seal ? time_ns([&](uint64_t n) { openssl_seal(keyed, n, buf.data(), len); }, ms)
                      : time_ns(open_with([&] { return openssl_open(keyed, 1, scratch.data(), len); }), ms);
      double m = seal ? time_ns(
                            [&](uint64_t n) {
                              ok &= transport_seal.seal(n, std::span<const uint8_t>(buf.data(), len), buf.data());
                            },
                            ms)
                      : time_ns(open_with([&] { return transport_open.open(1, scratch, scratch.data()); }), ms);
      if (!ok) {
        std::fprintf(stderr, "bench_aead: a genuine message failed\n");
        return 1;
      }
      double bytes = double(len + 16);
      std::printf("%-7zu %-5s %11.0f %6.2f %11.0f %6.2f %11.0f %6.2f %8.2fx\n", len, seal ? "seal" : "open", s,
                  bytes / s, o, bytes / o, m, bytes / m, s / o);
    }
  }
  std::printf("(open includes copying the message into a scratch buffer; sod/ossl = libsodium time / OpenSSL time)\n");
  return 0;
}
