// WireGuard's DoS layer (whitepaper §5.4.4, §5.4.7): mac1 proves the sender
// knows the receiver's public key and is checked before any DH; mac2 proves
// the sender recently received a cookie for its source address and is
// demanded only under load; cookie replies carry that cookie encrypted with
// XChaCha20-Poly1305 under a key derived from the responder's public key.
//
// Both classes work on the full datagram of a type-1 (148 B) or type-2
// (92 B) message; any other length fails.
#ifndef ACLC_RUNTIME_WG_COOKIE_H_
#define ACLC_RUNTIME_WG_COOKIE_H_

#include <cstdint>
#include <optional>
#include <span>

#include "runtime/wg/limits.h"
#include "runtime/wg/messages.h"
#include "runtime/wg/noise.h"
#include "runtime/wg/secret.h"

namespace aclc::wg {

// The receiving side, keyed by the local public key.
class CookieChecker {
 public:
  explicit CookieChecker(const PublicKey& local_public);

  // mac1 = MAC(HASH("mac1----" || local_public), msg[0:mac1]).
  bool check_mac1(std::span<const uint8_t> msg) const;
  // mac2 = MAC(cookie(source), msg[0:mac2]) under the current secret.
  // source identifies the sender's address (e.g. IP bytes || big-endian
  // port); its format is local to this node.
  bool check_mac2(std::span<const uint8_t> msg, std::span<const uint8_t> source, Instant now);
  // The reply to send instead of processing msg under load. nullopt if msg
  // is not a handshake message.
  std::optional<CookieReply> make_reply(std::span<const uint8_t> msg, std::span<const uint8_t> source,
                                        Instant now, const RandomSource& rng);

 private:
  void rotate_if_stale(Instant now, const RandomSource* rng);
  bool cookie_for(std::span<const uint8_t> source, Instant now, Secret<16>& out);

  Key mac1_key_;
  Key cookie_key_;
  Key secret_;
  std::optional<Instant> secret_born_;
};

// The sending side, keyed by the peer's public key.
class CookieGenerator {
 public:
  explicit CookieGenerator(const PublicKey& remote_public);

  // Writes mac1 and mac2 (zero without a fresh cookie) into msg. Returns
  // false if msg is not a handshake message.
  bool add_macs(std::span<uint8_t> msg, Instant now);
  // Stores the cookie of a reply to the last message add_macs() stamped;
  // false if it does not decrypt under that message's mac1.
  bool consume_reply(const CookieReply& reply, Instant now);

 private:
  Key mac1_key_;
  Key cookie_key_;
  Secret<16> cookie_;
  std::optional<Instant> cookie_set_;
  std::optional<std::array<uint8_t, 16>> last_mac1_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_COOKIE_H_
