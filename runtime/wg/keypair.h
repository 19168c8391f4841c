// A session's transport state and the previous/current/next rotation of a
// peer's sessions (whitepaper §5.4.6, §6.1; wireguard-go keypair.go and
// noise-protocol.go BeginSymmetricSession / ReceivedWithKeypair).
//
// The initiator may send on a new session at once; the responder's new
// session waits in `next` until the first authenticated packet arrives
// under it (key confirmation). Keys wipe themselves when a Keypair dies.
#ifndef ACLC_RUNTIME_WG_KEYPAIR_H_
#define ACLC_RUNTIME_WG_KEYPAIR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "runtime/wg/aead.h"
#include "runtime/wg/limits.h"
#include "runtime/wg/noise.h"
#include "runtime/wg/replay.h"

namespace aclc::wg {

class Keypair {
 public:
  Keypair(SessionKeys keys, Instant created);

  // Encrypts an already padded inner packet into a type-4 message at out
  // (16 + payload.size() + 16 bytes). nullopt, with nothing written, once the
  // session is older than REJECT_AFTER_TIME or its counter is exhausted.
  std::optional<size_t> seal(std::span<const uint8_t> payload, Instant now, uint8_t* out);

  // Decrypts a type-4 datagram addressed to this session into out
  // (datagram.size() - 32 bytes). Verifies the tag first, then the replay
  // window; nullopt for a forged, replayed, expired or malformed packet.
  std::optional<size_t> open(std::span<const uint8_t> datagram, Instant now, uint8_t* out);

  // True once the sender should start a new handshake: it initiated this
  // session and it is older than REKEY_AFTER_TIME or has sent more than
  // REKEY_AFTER_MESSAGES.
  bool needs_rekey(Instant now) const;
  bool expired(Instant now) const { return now - created_ >= kRejectAfterTime; }

  uint32_t local_index() const { return keys_.local_index; }
  uint32_t remote_index() const { return keys_.remote_index; }
  bool initiator() const { return keys_.initiator; }
  Instant created() const { return created_; }
  uint64_t next_send_counter() const { return send_counter_; }
  // For tests of the message limits only.
  void set_next_send_counter_for_test(uint64_t c) { send_counter_ = c; }

 private:
  SessionKeys keys_;
  TransportKey send_key_, receive_key_;  // keys_.send and keys_.receive, prepared
  Instant created_;
  uint64_t send_counter_ = 0;
  ReplayWindow replay_;
};

class KeypairSet {
 public:
  // Installs a freshly derived session: an initiator's becomes current at
  // once (the old current becomes previous); a responder's waits in next.
  void install(std::unique_ptr<Keypair> kp);
  // Call after a packet authenticated under kp: if kp is next, it is
  // confirmed and rotates into current. Returns true if it rotated.
  bool confirm(const Keypair* kp);
  // The session with this local index, if any of the three has it.
  Keypair* find(uint32_t local_index);
  Keypair* current() { return current_.get(); }
  Keypair* previous() { return previous_.get(); }
  Keypair* next() { return next_.get(); }
  // Drops (and so wipes) every session.
  void clear();

 private:
  std::unique_ptr<Keypair> previous_, current_, next_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_KEYPAIR_H_
