#include "runtime/meshd/bundle_store.h"

#include <ctime>

#include "runtime/meshd/bundle_limits.h"
#include "runtime/meshd/files.h"

namespace aclc::meshd {

std::string format_unix_time(uint64_t seconds) {
  std::time_t t = std::time_t(seconds);
  std::tm tm{};
  char buf[32];
  if (seconds > uint64_t(253402300799) || !::gmtime_r(&t, &tm) ||
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return std::to_string(seconds);
  return buf;
}

BundleStore::BundleStore(Settings settings, StateDir state, UnixClock now)
    : settings_(std::move(settings)), dir_(std::move(state)), now_(std::move(now)) {}

bool BundleStore::open(std::string& error) {
  auto state = dir_.load(error);
  if (!state) return false;
  state_ = *state;
  if (!settings_.device_name.empty() && !state_.device.empty() &&
      state_.device != settings_.device_name) {
    error = "the state directory " + dir_.path() + " belongs to device \"" + state_.device +
            "\", not \"" + settings_.device_name + "\"";
    return false;
  }
  // A crash between saving last.bundle and saving the state leaves the
  // newer serial only in last.bundle: take the larger of the two, so such a
  // crash cannot open a rollback window.
  if (auto bytes = dir_.load_last_bundle()) {
    bundle::Acceptance want;
    want.control_key = settings_.control_key;
    want.device = settings_.device_name.empty() ? state_.device : settings_.device_name;
    want.now = 0;  // its expiry does not matter for its serial
    std::string ignored;
    if (auto b = bundle::open(*bytes, want, ignored))
      if (!state_.serial || b->serial > *state_.serial) state_.serial = b->serial;
  }
  return true;
}

std::optional<bundle::Bundle> BundleStore::verify(const std::vector<uint8_t>& bytes, bool equal_ok,
                                                  std::string& error) const {
  bundle::Acceptance want;
  want.control_key = settings_.control_key;
  want.device = settings_.device_name.empty() ? state_.device : settings_.device_name;
  want.now = now_();
  if (state_.serial) {
    // open() wants the serial strictly greater than last_serial.
    want.have_last = !(equal_ok && *state_.serial == 0);
    want.last_serial = equal_ok ? *state_.serial - (*state_.serial > 0) : *state_.serial;
  }
  return bundle::open(bytes, want, error);
}

std::string BundleStore::in_force_text() const {
  if (!current_) return "no bundle in force: running fail closed (no peers, nothing inbound)";
  return "keeping serial " + std::to_string(current_->serial) + " in force";
}

BundleLoad BundleStore::install(bundle::Bundle b, std::vector<uint8_t> bytes,
                                const std::string& source) {
  BundleLoad out;
  out.result = BundleLoad::Result::kInstalled;
  std::string warnings;
  // last.bundle first, then the state: see open().
  std::string error;
  NodeState next{b.serial, b.device};
  if (bytes != dir_.load_last_bundle().value_or(std::vector<uint8_t>{}) &&
      !dir_.save_last_bundle(bytes, error))
    warnings += "; could not keep a copy in the state directory: " + error;
  if (next != state_ && !dir_.save(next, error))
    // Installing anyway: a newer policy may revoke access, and the serial
    // in memory still refuses rollback until the next restart.
    warnings += "; COULD NOT PERSIST THE SERIAL (" + error +
                "): a restart could accept an older bundle";
  state_ = next;
  current_ = std::make_shared<const bundle::Bundle>(std::move(b));
  current_bytes_ = std::move(bytes);
  const bundle::Bundle& c = *current_;
  out.message = "installed bundle serial " + std::to_string(c.serial) + " for " + c.device +
                " (revision " + c.revision + ", " + std::to_string(c.peers.size()) +
                " peers, expires " + format_unix_time(c.expires_at) + ") from " + source +
                warnings;
  return out;
}

BundleLoad BundleStore::load_at_start() {
  std::string file_error;
  std::vector<uint8_t> last = dir_.load_last_bundle().value_or(std::vector<uint8_t>{});
  if (settings_.bundle_path.empty()) {
    // Fetched bundles: only the last accepted one can be in force at start.
    BundleLoad out;
    std::string last_error = "none was accepted yet";
    if (!last.empty())
      if (auto b = verify(last, true, last_error))
        return install(std::move(*b), std::move(last), dir_.path() + "/last.bundle");
    out.result = BundleLoad::Result::kRejected;
    out.message = "no last accepted bundle in " + dir_.path() + ": " + last_error + "; " +
                  in_force_text();
    return out;
  }
  if (auto bytes = read_file_bounded(settings_.bundle_path, kMaxBundleFile, file_error)) {
    // The same bytes as last accepted: a restart, not a replay.
    bool same_as_last = !last.empty() && *bytes == last;
    if (auto b = verify(*bytes, same_as_last, file_error))
      return install(std::move(*b), std::move(*bytes), settings_.bundle_path);
  }
  BundleLoad out;
  std::string message = "rejected bundle " + settings_.bundle_path + ": " + file_error;
  if (!last.empty()) {
    std::string last_error;
    if (auto b = verify(last, true, last_error)) {
      out = install(std::move(*b), std::move(last), dir_.path() + "/last.bundle");
      out.message = message + "; " + out.message;
      return out;
    }
    message += "; the last accepted bundle in " + dir_.path() + " is not valid either: " + last_error;
  }
  out.result = BundleLoad::Result::kRejected;
  out.message = message + "; " + in_force_text();
  return out;
}

BundleLoad BundleStore::reload() {
  std::string error;
  auto bytes = read_file_bounded(settings_.bundle_path, kMaxBundleFile, error);
  if (!bytes) {
    BundleLoad out;
    out.message = "rejected bundle " + settings_.bundle_path + ": " + error + "; " + in_force_text();
    return out;
  }
  return offer(std::move(*bytes), settings_.bundle_path);
}

BundleLoad BundleStore::offer(std::vector<uint8_t> bytes, const std::string& source) {
  BundleLoad out;
  if (current_ && bytes == current_bytes_) {
    out.result = BundleLoad::Result::kUnchanged;
    out.message = "bundle " + source + " unchanged (serial " + std::to_string(current_->serial) + ")";
    return out;
  }
  std::string error;
  if (bytes.size() > kMaxBundleFile) {
    error = "larger than " + std::to_string(kMaxBundleFile) + " bytes";
  } else if (auto b = verify(bytes, false, error)) {
    return install(std::move(*b), std::move(bytes), source);
  }
  out.result = BundleLoad::Result::kRejected;
  out.message = "rejected bundle " + source + ": " + error + "; " + in_force_text();
  return out;
}

bool BundleStore::current_expired() const {
  return current_ && now_() >= current_->expires_at;
}

}  // namespace aclc::meshd
