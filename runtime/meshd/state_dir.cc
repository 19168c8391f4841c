#include "runtime/meshd/state_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "runtime/meshd/bundle_limits.h"
#include "runtime/meshd/files.h"

namespace aclc::meshd {
namespace {

constexpr size_t kMaxStateFile = 4096;

std::string_view next_line(std::string_view& text) {
  size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  return line;
}

}  // namespace

std::string format_node_state(const NodeState& state) {
  std::string out;
  if (state.serial) out += "serial " + std::to_string(*state.serial) + "\n";
  if (!state.device.empty()) out += "device " + state.device + "\n";
  return out;
}

std::optional<NodeState> parse_node_state(std::string_view text, std::string& error) {
  NodeState state;
  int line_no = 0;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    ++line_no;
    if (line.empty()) continue;
    auto fail = [&](const std::string& why) {
      error = "line " + std::to_string(line_no) + ": " + why;
      return std::nullopt;
    };
    if (line.starts_with("serial ")) {
      std::string_view v = line.substr(7);
      uint64_t serial = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), serial);
      if (v.empty() || ec != std::errc() || p != v.data() + v.size() || state.serial)
        return fail("bad serial");
      state.serial = serial;
    } else if (line.starts_with("device ")) {
      std::string_view v = line.substr(7);
      if (v.empty() || !state.device.empty()) return fail("bad device name");
      state.device = std::string(v);
    } else {
      return fail("unknown entry");
    }
  }
  return state;
}

std::optional<NodeState> StateDir::load(std::string& error) {
  if (!make_directories(path_, error)) {
    error = "state directory " + error;
    return std::nullopt;
  }
  std::string file = path_ + "/state";
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0 && errno == ENOENT) return NodeState{};
  auto data = read_file_bounded(file, kMaxStateFile, error);
  if (!data) return std::nullopt;
  std::string why;
  auto state =
      parse_node_state(std::string_view(reinterpret_cast<const char*>(data->data()), data->size()), why);
  if (!state) {
    error = file + ": " + why + " (refusing to start without the last accepted serial; "
            "remove the file only if you accept that an older bundle could be installed)";
    return std::nullopt;
  }
  return state;
}

bool StateDir::save(const NodeState& state, std::string& error) {
  if (state.device.find_first_of(std::string_view("\n\0", 2)) != std::string::npos) {
    error = "device name contains a line break or NUL";
    return false;
  }
  std::string text = format_node_state(state);
  return write_file_atomic(path_ + "/state", std::vector<uint8_t>(text.begin(), text.end()), error);
}

std::optional<std::vector<uint8_t>> StateDir::load_last_bundle() const {
  std::string ignored;
  return read_file_bounded(path_ + "/last.bundle", kMaxBundleFile, ignored);
}

bool StateDir::save_last_bundle(const std::vector<uint8_t>& bytes, std::string& error) {
  return write_file_atomic(path_ + "/last.bundle", bytes, error);
}

}  // namespace aclc::meshd
