#include "runtime/device/handshake_offload.h"

#include <algorithm>

namespace aclc::runtime {

InitiationResult run_initiation_job(const InitiationJob& job, const wg::RandomSource& rng) {
  InitiationResult result;
  result.generation = job.generation;
  result.from = job.from;
  if (!job.identity) return result;
  // Open first (one DH): a sender the device does not know is refused
  // before the response's three.
  auto opened = wg::open_initiation(*job.identity, job.message);
  if (!opened) return result;
  if (job.known && !std::binary_search(job.known->begin(), job.known->end(), opened->remote_static))
    return result;
  result.prepared = wg::prepare_response(std::move(*opened), rng);
  return result;
}

}  // namespace aclc::runtime
