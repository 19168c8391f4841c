#include "runtime/wg/noise.h"

#include <sodium.h>

#include <cstring>
#include <string_view>

#include "runtime/wg/aead.h"
#include "runtime/wg/blake2s_kdf.h"

namespace aclc::wg {
namespace {

constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";

Bytes text(std::string_view s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

struct Initial {
  HashValue chaining_key{};
  HashValue hash{};
  Initial() {
    blake2s_hash({text(kConstruction)}, chaining_key.data());
    blake2s_hash({chaining_key, text(kIdentifier)}, hash.data());
  }
};
const Initial& initial() {
  static const Initial values;
  return values;
}

void load(Key& k, const HashValue& v) { std::memcpy(k.data(), v.data(), 32); }

// H = HASH(H || data)
void mix_hash(Key& h, Bytes data) { blake2s_hash({h.view(), data}, h.data()); }

// The empty byte string, with a valid pointer for the AEAD calls.
const uint8_t kNothing[1] = {0};
Bytes empty() { return Bytes(kNothing, 0); }

}  // namespace

void system_random(uint8_t* buf, size_t len) { randombytes_buf(buf, len); }

const HashValue& initial_chaining_key() { return initial().chaining_key; }
const HashValue& initial_hash() { return initial().hash; }

bool dh(const PrivateKey& priv, const PublicKey& pub, Key& out) {
  // libsodium clamps and returns -1 for an all-zero result; check again so
  // another backend cannot silently drop the rule.
  if (crypto_scalarmult(out.data(), priv.data(), pub.data()) != 0) {
    out.wipe();
    return false;
  }
  return !out.is_zero();
}

PublicKey public_key_of(const PrivateKey& priv) {
  PublicKey pub{};
  crypto_scalarmult_base(pub.data(), priv.data());
  return pub;
}

PrivateKey generate_private_key(const RandomSource& rng) {
  PrivateKey k;
  rng(k.data(), k.size());
  k.bytes[0] &= 248;
  k.bytes[31] = (k.bytes[31] & 127) | 64;
  return k;
}

LocalIdentity LocalIdentity::from_private(const PrivateKey& priv) {
  LocalIdentity id;
  id.private_key = priv;
  id.public_key = public_key_of(priv);
  return id;
}

std::optional<OpenedInitiation> open_initiation(const LocalIdentity& local, const Initiation& m) {
  OpenedInitiation o;
  o.message = m;
  Key& c = o.chaining_key;
  Key& h = o.hash;
  load(c, initial_chaining_key());
  load(h, initial_hash());
  mix_hash(h, local.public_key);
  kdf1(c.view(), m.ephemeral, c);
  mix_hash(h, m.ephemeral);
  Key shared, k;
  if (!dh(local.private_key, m.ephemeral, shared)) return std::nullopt;
  kdf2(c.view(), shared.view(), c, k);
  if (!aead_open(k, 0, m.encrypted_static, h.view(), o.remote_static.data())) return std::nullopt;
  mix_hash(h, m.encrypted_static);
  return o;
}

std::optional<PreparedInitiation> prepare_initiation(const LocalIdentity& local, const Initiation& m,
                                                     const RandomSource& rng) {
  auto opened = open_initiation(local, m);
  if (!opened) return std::nullopt;
  return prepare_response(std::move(*opened), rng);
}

std::optional<PreparedInitiation> prepare_response(OpenedInitiation opened, const RandomSource& rng) {
  PreparedInitiation p;
  p.opened = std::move(opened);
  p.response_ephemeral = generate_private_key(rng);
  p.response_ephemeral_public = public_key_of(p.response_ephemeral);
  if (!dh(p.response_ephemeral, p.opened.message.ephemeral, p.ephemeral_ephemeral)) return std::nullopt;
  if (!dh(p.response_ephemeral, p.opened.remote_static, p.ephemeral_static)) return std::nullopt;
  return p;
}

std::optional<Handshake> Handshake::create(const LocalIdentity& local, const PublicKey& remote_static,
                                           const Key& preshared_key) {
  Handshake hs;
  hs.local_ = local;
  hs.remote_static_ = remote_static;
  hs.preshared_key_ = preshared_key;
  if (!dh(local.private_key, remote_static, hs.static_static_)) return std::nullopt;
  return hs;
}

std::optional<Initiation> Handshake::create_initiation(uint32_t local_index, const Tai64n& timestamp,
                                                       const RandomSource& rng) {
  clear();
  Initiation m;
  Key c, h, k, shared;
  load(c, initial_chaining_key());
  load(h, initial_hash());
  mix_hash(h, remote_static_);
  PrivateKey eph = generate_private_key(rng);
  m.ephemeral = public_key_of(eph);
  kdf1(c.view(), m.ephemeral, c);
  mix_hash(h, m.ephemeral);
  if (!dh(eph, remote_static_, shared)) return std::nullopt;
  kdf2(c.view(), shared.view(), c, k);
  aead_seal(k, 0, local_.public_key, h.view(), m.encrypted_static.data());
  mix_hash(h, m.encrypted_static);
  kdf2(c.view(), static_static_.view(), c, k);
  aead_seal(k, 0, timestamp, h.view(), m.encrypted_timestamp.data());
  mix_hash(h, m.encrypted_timestamp);
  m.sender = local_index;

  chaining_key_ = c;
  hash_ = h;
  local_ephemeral_ = eph;
  local_index_ = local_index;
  state_ = State::kInitiationCreated;
  return m;
}

bool Handshake::accept_initiation(const OpenedInitiation& o, Instant now) {
  if (!equal_ct(o.remote_static, remote_static_)) return false;
  Key c = o.chaining_key, h = o.hash, k;
  kdf2(c.view(), static_static_.view(), c, k);
  Tai64n ts{};
  if (!aead_open(k, 0, o.message.encrypted_timestamp, h.view(), ts.data())) return false;
  if (!tai64n_after(ts, last_timestamp_)) return false;  // replayed or stale
  if (last_initiation_accepted_ && now - *last_initiation_accepted_ < kInitiationMinInterval)
    return false;  // flood from a valid peer
  mix_hash(h, o.message.encrypted_timestamp);

  chaining_key_ = c;
  hash_ = h;
  local_ephemeral_.wipe();
  remote_ephemeral_ = o.message.ephemeral;
  remote_index_ = o.message.sender;
  last_timestamp_ = ts;
  last_initiation_accepted_ = now;
  state_ = State::kInitiationConsumed;
  return true;
}

std::optional<Response> Handshake::create_response(uint32_t local_index, const RandomSource& rng) {
  if (state_ != State::kInitiationConsumed) return std::nullopt;
  PrivateKey eph = generate_private_key(rng);
  Key ee, se;
  if (!dh(eph, remote_ephemeral_, ee) || !dh(eph, remote_static_, se)) return std::nullopt;
  return respond(local_index, public_key_of(eph), ee, se);
}

std::optional<Response> Handshake::create_response(uint32_t local_index, const PreparedInitiation& prepared) {
  // The DHs must have been made for the initiation this handshake accepted.
  if (state_ != State::kInitiationConsumed || !equal_ct(prepared.opened.remote_static, remote_static_) ||
      !equal_ct(prepared.opened.message.ephemeral, remote_ephemeral_))
    return std::nullopt;
  return respond(local_index, prepared.response_ephemeral_public, prepared.ephemeral_ephemeral,
                 prepared.ephemeral_static);
}

Response Handshake::respond(uint32_t local_index, const PublicKey& ephemeral_public, const Key& ephemeral_ephemeral,
                            const Key& ephemeral_static) {
  Response m;
  Key c = chaining_key_, h = hash_, tau, k;
  m.ephemeral = ephemeral_public;
  kdf1(c.view(), m.ephemeral, c);
  mix_hash(h, m.ephemeral);
  kdf1(c.view(), ephemeral_ephemeral.view(), c);
  kdf1(c.view(), ephemeral_static.view(), c);
  kdf3(c.view(), preshared_key_.view(), c, tau, k);
  mix_hash(h, tau.view());
  aead_seal(k, 0, empty(), h.view(), m.encrypted_nothing.data());
  mix_hash(h, m.encrypted_nothing);
  m.sender = local_index;
  m.receiver = remote_index_;

  chaining_key_ = c;
  hash_ = h;
  local_index_ = local_index;
  state_ = State::kResponseCreated;
  return m;
}

bool Handshake::consume_response(const Response& m) {
  if (state_ != State::kInitiationCreated || m.receiver != local_index_) return false;
  Key c = chaining_key_, h = hash_, shared, tau, k;
  kdf1(c.view(), m.ephemeral, c);
  mix_hash(h, m.ephemeral);
  if (!dh(local_ephemeral_, m.ephemeral, shared)) return false;
  kdf1(c.view(), shared.view(), c);
  if (!dh(local_.private_key, m.ephemeral, shared)) return false;
  kdf1(c.view(), shared.view(), c);
  kdf3(c.view(), preshared_key_.view(), c, tau, k);
  mix_hash(h, tau.view());
  uint8_t nothing[1];
  if (!aead_open(k, 0, m.encrypted_nothing, h.view(), nothing)) return false;
  mix_hash(h, m.encrypted_nothing);

  chaining_key_ = c;
  hash_ = h;
  remote_index_ = m.sender;
  state_ = State::kResponseConsumed;
  return true;
}

std::optional<SessionKeys> Handshake::derive_session() {
  bool initiator = state_ == State::kResponseConsumed;
  if (!initiator && state_ != State::kResponseCreated) return std::nullopt;
  SessionKeys s;
  Key t1, t2;
  kdf2(chaining_key_.view(), empty(), t1, t2);
  s.send = initiator ? t1 : t2;
  s.receive = initiator ? t2 : t1;
  s.local_index = local_index_;
  s.remote_index = remote_index_;
  s.initiator = initiator;
  clear();
  return s;
}

void Handshake::clear() {
  chaining_key_.wipe();
  hash_.wipe();
  local_ephemeral_.wipe();
  remote_ephemeral_.fill(0);
  local_index_ = 0;
  remote_index_ = 0;
  state_ = State::kZeroed;
}

void Handshake::inherit_replay_state(const Handshake& previous) {
  last_timestamp_ = previous.last_timestamp_;
  last_initiation_accepted_ = previous.last_initiation_accepted_;
}

}  // namespace aclc::wg
