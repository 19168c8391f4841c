// TAI64N timestamps as WireGuard sends them in handshake initiations: 8-byte
// big-endian seconds (2^62 + 10 + unix seconds) and 4-byte big-endian
// nanoseconds floored to a multiple of 2^24 ns, so the stamp does not leak a
// precise clock. Ordering is bytewise; a responder accepts an initiation
// only if its stamp is strictly after the greatest one it has accepted.
#ifndef ACLC_RUNTIME_WG_TAI64N_H_
#define ACLC_RUNTIME_WG_TAI64N_H_

#include <array>
#include <cstdint>

namespace aclc::wg {

using Tai64n = std::array<uint8_t, 12>;

// The stamp for a wall-clock instant (seconds since the Unix epoch, nanos < 1e9).
Tai64n tai64n_from_unix(int64_t unix_seconds, uint32_t nanos);

// The stamp for the system's wall clock now.
Tai64n tai64n_now();

// True iff a is strictly later than b.
bool tai64n_after(const Tai64n& a, const Tai64n& b);

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_TAI64N_H_
