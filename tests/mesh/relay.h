// A UDP relay between two WireGuard daemons on 127.0.0.1, so a test sees
// every datagram on the wire, holds one back, and injects its own: the
// replayed and forged transport messages of the attack tests. A is told
// that B lives at face_a, B that A lives at face_b; the relay forwards
// face_a → real_b from face_b and face_b → real_a from face_a, so each side
// sees one stable peer address.
#ifndef ACLC_TESTS_MESH_RELAY_H_
#define ACLC_TESTS_MESH_RELAY_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tests/mesh/process.h"

namespace mesh {

class Netns;

enum class Direction { kAtoB = 0, kBtoA = 1 };

class Relay {
 public:
  Relay(const Netns& ns, uint16_t real_a, uint16_t real_b, uint16_t face_a, uint16_t face_b);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  // Holds back, instead of forwarding, the next transport message (type 4)
  // in `d` of at least min_size bytes.
  void hold_next_transport(Direction d, size_t min_size);
  // The held message, once one was caught within `timeout`.
  std::optional<std::vector<uint8_t>> wait_held(Millis timeout);
  // Delivers `datagram` as if it were forwarded in direction `d`.
  void inject(Direction d, const std::vector<uint8_t>& datagram);
  // Datagrams of WireGuard message type `type` (1-4) forwarded in `d`.
  size_t forwarded(Direction d, uint8_t type) const;
  // Transport messages (type 4) forwarded in `d`, as they were on the wire.
  std::vector<std::vector<uint8_t>> transport_log(Direction d) const;

 private:
  void loop();
  int face_[2] = {-1, -1};  // [0] faces A, [1] faces B
  uint16_t real_[2];        // [0] A's port, [1] B's port
  int stop_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<size_t> hold_min_[2];
  std::optional<std::vector<uint8_t>> held_;
  size_t counts_[2][5] = {};
  std::vector<std::vector<uint8_t>> log_[2];
  std::thread thread_;
};

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_RELAY_H_
