// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s exactly as WireGuard runs it
// (whitepaper §5.4.2-5.4.6, wireguard-go noise-protocol.go): one Handshake
// per peer creates or consumes initiations and responses and finally derives
// the two transport keys.
//
// Consuming an initiation is two steps because the sender's identity is
// inside the message: open_initiation() decrypts the sender's static key
// with the local identity; the caller finds the peer by that key and calls
// its Handshake's accept_initiation(). Every consume works on copies and
// commits state only after every check passed, so a forged or replayed
// message never disturbs a handshake in progress.
//
// mac1/mac2 are not computed here (see cookie.h): messages come out with
// zero MACs and MACs are expected to be checked before consuming.
#ifndef ACLC_RUNTIME_WG_NOISE_H_
#define ACLC_RUNTIME_WG_NOISE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "runtime/wg/limits.h"
#include "runtime/wg/messages.h"
#include "runtime/wg/secret.h"
#include "runtime/wg/tai64n.h"

namespace aclc::wg {

// Fills buf with len random bytes. Injectable so tests fix ephemerals.
using RandomSource = std::function<void(uint8_t* buf, size_t len)>;
// libsodium's randombytes_buf.
void system_random(uint8_t* buf, size_t len);

// HASH(CONSTRUCTION) and HASH(Ci || IDENTIFIER): the handshake's starting
// chaining key and hash.
const HashValue& initial_chaining_key();
const HashValue& initial_hash();

// X25519 with WireGuard's rule: an all-zero result (low-order point) fails.
[[nodiscard]] bool dh(const PrivateKey& priv, const PublicKey& pub, Key& out);
// The public key of a private key (clamped as X25519 does).
PublicKey public_key_of(const PrivateKey& priv);
// A fresh clamped private key from rng.
PrivateKey generate_private_key(const RandomSource& rng);

struct LocalIdentity {
  PrivateKey private_key;
  PublicKey public_key{};
  static LocalIdentity from_private(const PrivateKey& priv);
};

// An initiation whose static key decrypted under the local identity; not
// yet authenticated as that peer (the timestamp is opened by the peer's
// Handshake).
struct OpenedInitiation {
  PublicKey remote_static{};
  Initiation message;
  Key chaining_key;
  Key hash;
};
std::optional<OpenedInitiation> open_initiation(const LocalIdentity& local, const Initiation& m);

// All four of the responder's DHs for one initiation, done before any
// peer's state is touched so that they can run on another thread: opening
// the initiation (es), then the response's ephemeral key and its ee and se
// DHs with the sender's ephemeral and static keys. Pure: reads only its
// arguments (and rng). nullopt if the initiation does not open or a DH is
// zero. Handshake::accept_initiation() then authenticates the result and
// create_response(index, prepared) answers with no DH left to do.
struct PreparedInitiation {
  OpenedInitiation opened;
  PrivateKey response_ephemeral;
  PublicKey response_ephemeral_public{};
  Key ephemeral_ephemeral;  // DH(response ephemeral, initiator ephemeral)
  Key ephemeral_static;     // DH(response ephemeral, initiator static)
};
std::optional<PreparedInitiation> prepare_initiation(const LocalIdentity& local, const Initiation& m,
                                                     const RandomSource& rng);
// The response's part of prepare_initiation(), for an initiation already opened.
std::optional<PreparedInitiation> prepare_response(OpenedInitiation opened, const RandomSource& rng);

// Transport keys of one session.
struct SessionKeys {
  Key send;
  Key receive;
  uint32_t local_index = 0;
  uint32_t remote_index = 0;
  bool initiator = false;
};

class Handshake {
 public:
  enum class State { kZeroed, kInitiationCreated, kInitiationConsumed, kResponseCreated, kResponseConsumed };

  // Fails if the peer's key is low-order (the static-static DH is zero).
  static std::optional<Handshake> create(const LocalIdentity& local, const PublicKey& remote_static,
                                         const Key& preshared_key);

  // Initiator. Starts a new handshake (superseding any in progress).
  std::optional<Initiation> create_initiation(uint32_t local_index, const Tai64n& timestamp,
                                              const RandomSource& rng);
  // Initiator. Accepts a response to the pending initiation; false (and no
  // change) for anything else.
  [[nodiscard]] bool consume_response(const Response& m);

  // Responder. Accepts an opened initiation from this peer if its
  // timestamp is newer than every one accepted before and the previous
  // accepted initiation is at least 20 ms old.
  [[nodiscard]] bool accept_initiation(const OpenedInitiation& opened, Instant now);
  // Responder. Answers the accepted initiation.
  std::optional<Response> create_response(uint32_t local_index, const RandomSource& rng);
  // Responder. Answers the accepted initiation with the DHs done by
  // prepare_initiation() for that same initiation (nullopt otherwise).
  std::optional<Response> create_response(uint32_t local_index, const PreparedInitiation& prepared);

  // After consume_response (initiator) or create_response (responder):
  // the transport keys. Wipes the handshake's secrets either way.
  std::optional<SessionKeys> derive_session();

  // Wipes chaining key, hash and ephemeral key; keeps the replay state.
  void clear();

  // Adopts previous's replay state (greatest accepted timestamp, time of
  // the last accepted initiation), so a handshake rebuilt for a new local
  // key or preshared key accepts no initiation the old one would refuse.
  void inherit_replay_state(const Handshake& previous);

  State state() const { return state_; }
  const PublicKey& remote_static() const { return remote_static_; }
  const Tai64n& last_timestamp() const { return last_timestamp_; }
  // The running transcript hash (tests compare both sides).
  const Key& hash() const { return hash_; }

 private:
  Handshake() = default;
  Response respond(uint32_t local_index, const PublicKey& ephemeral_public, const Key& ephemeral_ephemeral,
                   const Key& ephemeral_static);

  State state_ = State::kZeroed;
  LocalIdentity local_;
  PublicKey remote_static_{};
  Key static_static_;
  Key preshared_key_;
  Key chaining_key_;
  Key hash_;
  PrivateKey local_ephemeral_;
  PublicKey remote_ephemeral_{};
  uint32_t local_index_ = 0;
  uint32_t remote_index_ = 0;
  Tai64n last_timestamp_{};
  std::optional<Instant> last_initiation_accepted_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_NOISE_H_
