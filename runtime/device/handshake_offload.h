// Where a responder's DHs can run off the device's thread. Answering an
// initiation costs four X25519 operations (wg::prepare_initiation), about
// three quarters of the CPU a handshake takes; the rest (lookups, replay
// checks, installing the session) must stay on the device's thread. So the
// device hands each initiation that passed its cheap checks (mac1, mac2
// and the rate limiter under load) to an offload as an InitiationJob, and
// the owner of the offload hands the InitiationResults back through
// Device::complete_initiations(), in any order, on the device's thread.
//
// A job carries what the DHs need and nothing of the device: the local
// identity it was submitted under (shared, immutable) and the set of known
// peer keys, so a sender the device does not know costs one DH, not four.
// A result is only a proposal: the device checks its generation (a key
// change in between voids it), the peer, the timestamp and the flood limit
// exactly as for an initiation it answers itself.
#ifndef ACLC_RUNTIME_DEVICE_HANDSHAKE_OFFLOAD_H_
#define ACLC_RUNTIME_DEVICE_HANDSHAKE_OFFLOAD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/device/config.h"
#include "runtime/wg/messages.h"
#include "runtime/wg/noise.h"

namespace aclc::runtime {

// Public keys of the device's peers, sorted.
using KnownPeers = std::vector<Key32>;

struct InitiationJob {
  uint64_t generation = 0;  // the device's identity generation at submission
  std::shared_ptr<const wg::LocalIdentity> identity;
  std::shared_ptr<const KnownPeers> known;
  Endpoint from;
  wg::Initiation message;
};

struct InitiationResult {
  uint64_t generation = 0;
  Endpoint from;
  std::optional<wg::PreparedInitiation> prepared;  // nullopt: refused (did not open, unknown sender, zero DH)
};

// The DHs of one job; safe to call from any thread.
InitiationResult run_initiation_job(const InitiationJob& job, const wg::RandomSource& rng);

class HandshakeOffload {
 public:
  virtual ~HandshakeOffload() = default;
  // Takes the job; its result must come back to the device exactly once.
  // The device bounds how many jobs are out at once
  // (DeviceOptions::offload_in_flight), so this need not refuse.
  virtual void submit(InitiationJob job) = 0;
};

}  // namespace aclc::runtime

#endif  // ACLC_RUNTIME_DEVICE_HANDSHAKE_OFFLOAD_H_
