// aclc compile --format nft: one nftables ruleset per device
// (compiler/back/nft.h), checked before anything is written.
#pragma once

#include <string>

#include "cli/pipeline.h"

namespace aclc::cli {

struct NftOptions {
  std::string iface = "tailscale0";  // the mesh interface the rules hook
  std::string node;                  // only this device; empty: every device
  std::string out_dir;               // DIR/<hostname>.nft; empty: stdout (needs node)
  bool verify = true;                // translation validation of each table
};

// Checks the interface name, the device and the output directory first
// (exit 2 with a message), builds the tables, proves them unless
// !o.verify, renders every ruleset in memory, and only then writes each
// file atomically. Returns the exit code.
int compile_nft(const Loaded& loaded, const Inputs& in, const NftOptions& o);

}  // namespace aclc::cli
