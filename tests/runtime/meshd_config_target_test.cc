#include <doctest/doctest.h>

#include <cerrno>

#include "runtime/meshd/config_target.h"

using namespace aclc;
using namespace aclc::meshd;
using runtime::DeviceConfig;
using runtime::DeviceStatus;

namespace {

class CountingDevice : public runtime::ConfigTarget {
 public:
  int apply(const DeviceConfig& c) override {
    if (refuse) return -EINVAL;
    applied.push_back(c.listen_port);
    return 0;
  }
  DeviceStatus status() const override { return {}; }
  bool refuse = false;
  std::vector<std::optional<uint16_t>> applied;
};

std::unique_ptr<runtime::io::UdpSocket> open_any() {
  runtime::io::UdpOptions o;
  o.port = 0;
  std::string error;
  auto s = runtime::io::UdpSocket::open(o, &error);
  REQUIRE_MESSAGE(s, error);
  return s;
}

}  // namespace

TEST_CASE("meshd config target: listen_port rebinds, EADDRINUSE changes nothing") {
  CountingDevice device;
  UdpSlot slot;
  slot.socket = open_any();
  int replaced_old = -2, replaced_new = -2;
  slot.replaced = [&](int o, int n) { replaced_old = o, replaced_new = n; };
  DaemonConfigTarget target(device, slot);
  const uint16_t first = slot.socket->port();
  const int first_fd = slot.socket->fd();
  CHECK(target.status().listen_port == first);

  auto holder = open_any();  // someone else's port
  DeviceConfig busy;
  busy.listen_port = holder->port();
  CHECK(target.apply(busy) == -EADDRINUSE);
  CHECK(slot.socket->port() == first);
  CHECK(device.applied.empty());
  CHECK(replaced_new == -2);

  DeviceConfig same;
  same.listen_port = first;
  CHECK(target.apply(same) == 0);
  CHECK(slot.socket->fd() == first_fd);  // no rebind for the same port

  DeviceConfig any;
  any.listen_port = 0;
  CHECK(target.apply(any) == 0);
  CHECK(replaced_old == first_fd);
  CHECK(replaced_new == slot.socket->fd());
  CHECK(target.status().listen_port == slot.socket->port());
  REQUIRE(device.applied.back());
  CHECK(*device.applied.back() == slot.socket->port());  // the device hears the bound port

  device.refuse = true;  // the device refuses the rest: the socket stays
  const int fd = slot.socket->fd();
  CHECK(target.apply(any) == -EINVAL);
  CHECK(slot.socket->fd() == fd);
}
