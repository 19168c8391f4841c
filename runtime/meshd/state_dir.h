// What meshd remembers across restarts, in its state directory:
//   state        "serial N\ndevice NAME\n": the serial of the last accepted
//                bundle (no rollback after a restart) and the device name
//                that bundle was for (bundles for other devices are refused)
//   last.bundle  the last accepted bundle's signed bytes, so a restart
//                keeps it in force even if the bundle file went bad since
// Both are written atomically; each write is durable before it returns.
#ifndef ACLC_RUNTIME_MESHD_STATE_DIR_H_
#define ACLC_RUNTIME_MESHD_STATE_DIR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aclc::meshd {

struct NodeState {
  std::optional<uint64_t> serial;  // none before the first accepted bundle
  std::string device;              // empty before the first accepted bundle
  friend bool operator==(const NodeState&, const NodeState&) = default;
};

class StateDir {
 public:
  explicit StateDir(std::string path) : path_(std::move(path)) {}

  // Creates the directory (0700) if needed and reads the state. A state
  // file that exists but does not parse is an error, not a fresh start:
  // starting over would reopen the door to rollback.
  std::optional<NodeState> load(std::string& error);
  bool save(const NodeState& state, std::string& error);

  // The last accepted bundle's bytes; nullopt if there is none (or it is
  // unreadable: it is re-verified before use anyway).
  std::optional<std::vector<uint8_t>> load_last_bundle() const;
  bool save_last_bundle(const std::vector<uint8_t>& bytes, std::string& error);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The state file's text form and back (exposed for tests).
std::string format_node_state(const NodeState& state);
std::optional<NodeState> parse_node_state(std::string_view text, std::string& error);

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_STATE_DIR_H_
