// Per-device signed bundles: built from the accepted policy and the
// registry, proved equal to the policy (translation validation), signed,
// written to DIR/bundles/<hostname>.bundle, and served from memory.
//
// Publishing is two steps so that the policy commit can sit between them:
// stage() builds every bundle into hidden files (nothing a reader sees
// changes), then install() renames them into place, removes the bundles of
// devices that are gone, and records the published state
// (DIR/published.json). If anything fails before install, discard() leaves
// the old bundles in force. Serials: each staging takes a serial strictly
// greater than any before, persisted (DIR/serial) before a bundle carries
// it, so no restart can reissue one.
//
// stage/install/discard are called by one thread at a time (the server's
// write lock); lookups and waits may come from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "control/policy_check.h"

namespace aclc::control {

struct ServedBundle {
  std::string etag;  // hex SHA-256 of the bytes
  uint64_t serial = 0;
  std::shared_ptr<const std::string> bytes;
};

// What DIR/published.json records: which policy commit and registry
// generation the bundles in place were built from.
struct Published {
  std::string commit;
  uint64_t generation = 0;
  uint64_t serial = 0;
  uint64_t issued_at = 0;
  uint64_t expires_at = 0;
};

class Publisher {
 public:
  // ttl: bundle lifetime in seconds; verify: prove every table first.
  Publisher(std::string state_dir, bundle::SigningKey key, uint64_t ttl_seconds, bool verify);

  // Loads DIR/published.json, DIR/serial and the bundles in place.
  bool load(std::string& error);

  const Published& published() const { return published_; }

  struct Staged {
    uint64_t serial = 0;
    uint64_t issued_at = 0, expires_at = 0;
    // hostname, staged path, served bundle
    std::vector<std::pair<std::string, std::pair<std::string, ServedBundle>>> files;
  };

  // Builds, proves and signs the bundle of every device of `p` (which must
  // be valid) into staged files. Bundles carry revision "sha256:<etag>".
  std::optional<Staged> stage(const CheckedPolicy& p, const std::string& policy_etag,
                              std::string& error);
  // Puts a staged set in force (see above) and wakes every waiting node.
  bool install(Staged staged, const std::string& commit, uint64_t generation,
               std::string& error);
  void discard(Staged& staged);

  // The bundle in force for a device; nullopt if it has none.
  std::optional<ServedBundle> lookup(const std::string& hostname) const;

  // Waits until the device's bundle differs from `etag`, or `seconds` pass,
  // or shutdown() is called. Returns the bundle in force then (nullopt if
  // the device has none any more).
  std::optional<ServedBundle> wait_for_change(const std::string& hostname,
                                              const std::string& etag, unsigned seconds);

  void shutdown();

  // True when the bundles in place are older than half their lifetime.
  bool due_for_refresh(uint64_t now) const;

 private:
  std::string dir_;      // DIR/bundles
  std::string state_dir_;
  bundle::SigningKey key_;
  uint64_t ttl_;
  bool verify_;
  uint64_t last_serial_ = 0;
  Published published_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::map<std::string, ServedBundle> served_;
};

}  // namespace aclc::control
