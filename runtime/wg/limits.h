// WireGuard's protocol constants (whitepaper §6.1, kernel messages.h,
// wireguard-go device/constants.go) and the injectable time type.
#ifndef ACLC_RUNTIME_WG_LIMITS_H_
#define ACLC_RUNTIME_WG_LIMITS_H_

#include <chrono>
#include <cstdint>

namespace aclc::wg {

// Time on a monotonic clock from an arbitrary origin. Everything that
// depends on time takes an Instant argument, so tests drive a fake clock.
using Duration = std::chrono::nanoseconds;
using Instant = std::chrono::nanoseconds;

using namespace std::chrono_literals;

inline constexpr uint64_t kRekeyAfterMessages = uint64_t(1) << 60;
inline constexpr uint64_t kRejectAfterMessages = UINT64_MAX - (uint64_t(1) << 13);  // 2^64-2^13-1
inline constexpr Duration kRekeyAfterTime = 120s;
inline constexpr Duration kRejectAfterTime = 180s;
inline constexpr Duration kRekeyAttemptTime = 90s;
inline constexpr Duration kRekeyTimeout = 5s;
inline constexpr Duration kRekeyTimeoutJitterMax = 334ms;  // jitter drawn from [0, 334 ms)
inline constexpr Duration kKeepaliveTimeout = 10s;
inline constexpr Duration kCookieRefreshTime = 120s;
// A held cookie is used for 5 s less than the responder keeps its secret.
inline constexpr Duration kCookieValidity = kCookieRefreshTime - 5s;
// At most one accepted initiation per peer in this interval (50 per second).
inline constexpr Duration kInitiationMinInterval = 20ms;
inline constexpr int kMaxHandshakeAttempts = int(kRekeyAttemptTime / kRekeyTimeout);  // 18

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_LIMITS_H_
