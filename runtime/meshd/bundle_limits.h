// Bounds on what meshd reads as a bundle.
#ifndef ACLC_RUNTIME_MESHD_BUNDLE_LIMITS_H_
#define ACLC_RUNTIME_MESHD_BUNDLE_LIMITS_H_

#include <cstddef>

namespace aclc::meshd {

// Far above a bundle for a 10k-device tailnet (~0.5 MB, docs/bundle-format.md),
// far below what would hurt a small node.
inline constexpr size_t kMaxBundleFile = size_t(64) << 20;

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_BUNDLE_LIMITS_H_
