// What the control server remembers besides the policy history: its
// credentials and its device registry, in one JSON file (DIR/state.json,
// mode 0600, written durably as a whole), so that a registration (a device
// and its node key, a used auth key) is recorded entirely or not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/credentials.h"
#include "control/registry.h"

namespace aclc::control {

struct ControlState {
  uint64_t next_address = 1;    // addresses_for(next_address) is next
  uint64_t generation = 0;      // bumped on every registry change
  std::vector<Credential> keys;
  std::vector<RegisteredDevice> devices;

  const RegisteredDevice* find_device_by_id(const std::string& id) const;
};

std::string state_to_json(const ControlState& s);
// nullopt and `error` if the text is not a state file this version wrote.
std::optional<ControlState> state_from_json(const std::string& text, std::string& error);

// Loads DIR/state.json (an empty state if there is none yet).
std::optional<ControlState> load_state(const std::string& dir, std::string& error);
bool save_state(const std::string& dir, const ControlState& s, std::string& error);

}  // namespace aclc::control
