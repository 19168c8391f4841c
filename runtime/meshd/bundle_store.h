// The bundle life cycle's trust decisions: which signed bundle is in force.
//
// A bundle is installed only if bundle::open() accepts it: signed by the
// control key, for this device, with a serial strictly greater than the last
// accepted one (persisted in the state directory, so a restart cannot be
// rolled back either), and not expired. Anything else is rejected with one
// log line and the bundle in force stays in force. At start, the bundle
// file is tried first, then the last accepted bundle kept in the state
// directory; with neither valid there is no bundle in force and the daemon
// runs fail closed.
//
// The device name bundles must carry: the one configured, else the one the
// first accepted bundle carried (pinned in the state directory).
#ifndef ACLC_RUNTIME_MESHD_BUNDLE_STORE_H_
#define ACLC_RUNTIME_MESHD_BUNDLE_STORE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "runtime/meshd/state_dir.h"

namespace aclc::meshd {

struct BundleLoad {
  enum class Result {
    kInstalled,  // a new bundle is in force
    kUnchanged,  // the file holds the bundle already in force
    kRejected,   // the file's bundle failed a check; the previous one stays
  };
  Result result = Result::kRejected;
  std::string message;  // one log line
};

class BundleStore {
 public:
  struct Settings {
    std::array<uint8_t, bundle::kPublicKeyBytes> control_key{};
    std::string device_name;  // empty: pinned by the first accepted bundle
    std::string bundle_path;  // empty: bundles come only through offer()
  };
  using UnixClock = std::function<uint64_t()>;  // Unix seconds

  BundleStore(Settings settings, StateDir state, UnixClock now);

  // Reads the state directory. False with `error` if it cannot be created
  // or its state does not parse (the daemon must not start then).
  bool open(std::string& error);

  // At start: the bundle file, else the state directory's last accepted
  // bundle. kRejected when neither is valid: nothing is in force.
  BundleLoad load_at_start();
  // On SIGHUP: the bundle file again.
  BundleLoad reload();
  // A bundle fetched from `source` (a URL): the same checks as the file.
  BundleLoad offer(std::vector<uint8_t> bytes, const std::string& source);

  // The bundle in force (null: none, fail closed). Shared so the filter
  // can hold it while a newer one is swapped in.
  std::shared_ptr<const bundle::Bundle> current() const { return current_; }
  // The bundle in force has expired: new flows must be dropped until a
  // newer bundle arrives.
  bool current_expired() const;
  std::optional<uint64_t> last_serial() const { return state_.serial; }

 private:
  // open()s `bytes` against this node's acceptance rules; `equal_ok` lets
  // the serial equal the last accepted one (the same bundle after a restart).
  std::optional<bundle::Bundle> verify(const std::vector<uint8_t>& bytes, bool equal_ok,
                                       std::string& error) const;
  // Persists and installs. The message describes the installed bundle.
  BundleLoad install(bundle::Bundle b, std::vector<uint8_t> bytes, const std::string& source);
  std::string in_force_text() const;

  Settings settings_;
  StateDir dir_;
  UnixClock now_;
  NodeState state_;
  std::shared_ptr<const bundle::Bundle> current_;
  std::vector<uint8_t> current_bytes_;
};

// "2025-01-31T12:00:00Z".
std::string format_unix_time(uint64_t seconds);

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_BUNDLE_STORE_H_
