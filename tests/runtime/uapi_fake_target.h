// A ConfigTarget for the UAPI tests: records every config it is given and
// keeps a small model of the device with wireguard-go's set semantics, so
// that what a `set` changed shows up in the next `get`. Thread-safe, for
// the test that runs the server in a thread and `wg` in a child.
#ifndef ACLC_TESTS_RUNTIME_UAPI_FAKE_TARGET_H_
#define ACLC_TESTS_RUNTIME_UAPI_FAKE_TARGET_H_

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <vector>

#include "runtime/device/config.h"

namespace aclc::runtime::testing {

class FakeTarget : public ConfigTarget {
 public:
  int apply(const DeviceConfig& config) override {
    std::lock_guard lock(mutex_);
    received_.push_back(config);
    if (config.listen_port && *config.listen_port == busy_port_) return -EADDRINUSE;
    if (config.private_key) {
      if (config.private_key->is_zero()) state_.private_key.reset();
      else state_.private_key = *config.private_key;
    }
    if (config.listen_port) state_.listen_port = *config.listen_port;
    if (config.fwmark) state_.fwmark = *config.fwmark;
    if (config.replace_peers) state_.peers.clear();
    for (const PeerConfig& p : config.peers) apply_peer(p);
    return 0;
  }
  DeviceStatus status() const override {
    std::lock_guard lock(mutex_);
    ++status_calls_;
    return state_;
  }

  void set_state(DeviceStatus s) {
    std::lock_guard lock(mutex_);
    state_ = std::move(s);
  }
  // apply() answers -EADDRINUSE for this listen port (0: never).
  void set_busy_port(uint16_t port) {
    std::lock_guard lock(mutex_);
    busy_port_ = port;
  }
  std::vector<DeviceConfig> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  int status_calls() const {
    std::lock_guard lock(mutex_);
    return status_calls_;
  }

 private:
  void apply_peer(const PeerConfig& p) {
    auto it = std::find_if(state_.peers.begin(), state_.peers.end(),
                           [&](const PeerStatus& s) { return s.public_key == p.public_key; });
    if (p.remove) {
      if (it != state_.peers.end()) state_.peers.erase(it);
      return;
    }
    if (it == state_.peers.end()) {
      if (p.update_only) return;
      state_.peers.emplace_back().public_key = p.public_key;
      it = state_.peers.end() - 1;
    }
    PeerStatus& s = *it;
    if (p.preshared_key) s.preshared_key = *p.preshared_key;
    if (p.endpoint) s.endpoint = p.endpoint;
    if (p.persistent_keepalive) s.persistent_keepalive = *p.persistent_keepalive;
    if (p.replace_allowed_ips) s.allowed_ips.clear();
    for (const AllowedIp& a : p.remove_allowed_ips) std::erase(s.allowed_ips, a);
    for (const AllowedIp& a : p.add_allowed_ips) {
      for (PeerStatus& other : state_.peers) std::erase(other.allowed_ips, a);  // a prefix moves
      s.allowed_ips.push_back(a);
    }
  }

  mutable std::mutex mutex_;
  DeviceStatus state_;
  std::vector<DeviceConfig> received_;
  uint16_t busy_port_ = 0;
  mutable int status_calls_ = 0;
};

}  // namespace aclc::runtime::testing

#endif  // ACLC_TESTS_RUNTIME_UAPI_FAKE_TARGET_H_
