// Handshake initiations crafted from a responder's public key alone: random
// ephemeral, garbage static and timestamp, but a valid mac1
// (MAC(HASH("mac1----" ‖ responder public key), msg[0:116])). They pass the
// responder's cheap first check, so a flood of them is what the cookie
// mechanism exists for; they never complete a handshake. BLAKE2s is libb2's,
// independent of the implementations under test.
#ifndef ACLC_TESTS_MESH_CRAFTED_H_
#define ACLC_TESTS_MESH_CRAFTED_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "tests/mesh/keys.h"

namespace mesh {

class Netns;

constexpr size_t kInitiationSize = 148;
constexpr size_t kCookieReplySize = 64;

std::array<uint8_t, kInitiationSize> crafted_initiation(const Key32& responder_public, uint32_t sender_index);
// mac1 of msg (a type 1 or 2 message) under the recipient's public key.
std::array<uint8_t, 16> mac1(const Key32& recipient_public, const uint8_t* msg, size_t mac1_offset);

// Sends crafted initiations to 127.0.0.1:port from a socket in `ns` in
// sendmmsg bursts, paced to `per_second` (0: as fast as the socket takes
// them), on its own thread, and counts what comes back by type, until
// stop(). On a 2-core test machine an unpaced flood mostly measures how the
// scheduler shares the cores between flooder and victim.
class HandshakeFlood {
 public:
  HandshakeFlood(const Netns& ns, uint16_t port, const Key32& responder_public, size_t per_second = 0);
  ~HandshakeFlood();
  void stop();
  size_t sent() const { return sent_; }
  size_t cookie_replies() const { return replies_[3]; }
  size_t responses() const { return replies_[2]; }

 private:
  void run();
  int sock_ = -1;
  Key32 responder_{};
  size_t per_second_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> sent_{0};
  std::atomic<size_t> replies_[5] = {};
  std::thread thread_;
};

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_CRAFTED_H_
