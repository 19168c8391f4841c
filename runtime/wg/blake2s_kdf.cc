#include "runtime/wg/blake2s_kdf.h"

#include <blake2.h>
#include <sodium.h>

#include <cstdlib>

namespace aclc::wg {
namespace {

constexpr size_t kBlockSize = 64;

// libb2 only fails on invalid lengths, which our fixed sizes rule out; abort
// rather than return an unkeyed or truncated digest.
void check(int rc) {
  if (rc != 0) std::abort();
}

void update_all(blake2s_state& s, std::initializer_list<Bytes> parts) {
  for (Bytes p : parts)
    if (!p.empty()) check(blake2s_update(&s, p.data(), p.size()));
}

}  // namespace

void blake2s_hash(std::initializer_list<Bytes> parts, uint8_t out[kHashSize]) {
  blake2s_state s;
  check(blake2s_init(&s, kHashSize));
  update_all(s, parts);
  check(blake2s_final(&s, out, kHashSize));
  sodium_memzero(&s, sizeof s);
}

void blake2s_mac(Bytes key, std::initializer_list<Bytes> parts, uint8_t out[kMacSize]) {
  if (key.empty() || key.size() > BLAKE2S_KEYBYTES) std::abort();
  blake2s_state s;
  check(blake2s_init_key(&s, kMacSize, key.data(), key.size()));
  update_all(s, parts);
  check(blake2s_final(&s, out, kMacSize));
  sodium_memzero(&s, sizeof s);
}

void hmac_blake2s(Bytes key, std::initializer_list<Bytes> parts, uint8_t out[kHashSize]) {
  if (key.size() > kBlockSize) std::abort();
  Secret<kBlockSize> pad;
  for (size_t i = 0; i < key.size(); ++i) pad.bytes[i] = key[i];
  for (auto& b : pad.bytes) b ^= 0x36;
  Secret<kHashSize> inner;
  blake2s_state s;
  check(blake2s_init(&s, kHashSize));
  check(blake2s_update(&s, pad.data(), kBlockSize));
  update_all(s, parts);
  check(blake2s_final(&s, inner.data(), kHashSize));
  for (auto& b : pad.bytes) b ^= 0x36 ^ 0x5c;
  check(blake2s_init(&s, kHashSize));
  check(blake2s_update(&s, pad.data(), kBlockSize));
  check(blake2s_update(&s, inner.data(), kHashSize));
  check(blake2s_final(&s, out, kHashSize));
  sodium_memzero(&s, sizeof s);
}

namespace {

// Writes up to three outputs; unused ones are null.
void kdf(Bytes key, Bytes input, Key* t1, Key* t2, Key* t3) {
  Key t0;
  hmac_blake2s(key, {input}, t0.data());
  const uint8_t one = 1, two = 2, three = 3;
  Key a;
  hmac_blake2s(t0.view(), {Bytes(&one, 1)}, a.data());
  if (t2 != nullptr) {
    Key b;
    hmac_blake2s(t0.view(), {a.view(), Bytes(&two, 1)}, b.data());
    if (t3 != nullptr) hmac_blake2s(t0.view(), {b.view(), Bytes(&three, 1)}, t3->data());
    *t2 = b;
  }
  *t1 = a;
}

}  // namespace

void kdf1(Bytes key, Bytes input, Key& t1) { kdf(key, input, &t1, nullptr, nullptr); }
void kdf2(Bytes key, Bytes input, Key& t1, Key& t2) { kdf(key, input, &t1, &t2, nullptr); }
void kdf3(Bytes key, Bytes input, Key& t1, Key& t2, Key& t3) { kdf(key, input, &t1, &t2, &t3); }

}  // namespace aclc::wg
