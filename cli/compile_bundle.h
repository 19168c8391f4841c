// The parts of `aclc compile` that work on per-device tables: translation
// validation (before anything is written) and the signed bundle output.
// Kept apart from cmd_compile.cc so that each output format stays one
// clearly separated piece.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/pipeline.h"
#include "compiler/back/table.h"

namespace aclc::cli {

// Proves with Z3 that each tables[i] is the policy's semantics for device
// devices[i] (verifier/translation_validation.h). Prints each mismatch with
// its witness packet to stderr. Returns kPass, kPolicyFailure (a mismatch:
// a compiler bug) or kUsageOrIO (the solver gave up: nothing is proved).
int validate_tables(const Loaded& loaded, const std::vector<size_t>& devices,
                    const std::vector<table::Table>& tables);

struct BundleOptions {
  std::string sign_key;        // path of the secret key (aclc keygen)
  std::string out_dir;         // where DEVICE.bundle files go
  std::string node;            // only this device; empty: every device
  std::string revision;        // empty: "sha256:<hex>" of the policy file
  std::optional<uint64_t> serial;  // default: seconds since the epoch
  std::string ttl = "168h";    // Go duration
  bool verify = true;          // translation validation
};

// aclc compile --format bundle. Checks every input (key, directory, device,
// TTL) before compiling; then per device builds, proves and seals its
// bundle and stages it under a hidden name in DIR; only when every device
// has succeeded are the staged files renamed to DIR/<hostname>.bundle. On
// any error the staged files are removed and no bundle is written or
// replaced. Returns the exit code.
int compile_bundles(const Loaded& loaded, const Inputs& in, const BundleOptions& o);

}  // namespace aclc::cli
