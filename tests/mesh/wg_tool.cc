#include "tests/mesh/wg_tool.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "tests/mesh/error.h"
#include "tests/mesh/process.h"

namespace mesh {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) out.push_back(field);
  return out;
}

}  // namespace

bool uapi_listening(const std::string& iface) {
  const std::string path = "/var/run/wireguard/" + iface + ".sock";
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool up = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);  // the daemon sees an empty request and drops it
  return up;
}

const PeerState& DeviceState::peer(const std::string& key) const {
  for (const PeerState& p : peers)
    if (p.public_key == key) return p;
  throw Error("wg show lists no peer " + key);
}

DeviceState wg_show(const std::string& iface) {
  std::string out = must("wg show " + quote(iface) + " dump");
  std::istringstream in(out);
  std::string line;
  DeviceState d;
  bool first = true;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f = split_tabs(line);
    try {
      if (first) {
        if (f.size() != 4) throw Error("");
        d.public_key = f[1];
        d.listen_port = static_cast<uint16_t>(std::stoul(f[2]));
        first = false;
        continue;
      }
      if (f.size() != 8) throw Error("");
      PeerState p;
      p.public_key = f[0];
      p.endpoint = f[2];
      p.allowed_ips = f[3];
      p.latest_handshake = std::stoll(f[4]);
      p.rx_bytes = std::stoull(f[5]);
      p.tx_bytes = std::stoull(f[6]);
      d.peers.push_back(p);
    } catch (const std::exception&) {
      throw Error("wg show " + iface + " dump: unexpected line: " + line);
    }
  }
  if (first) throw Error("wg show " + iface + " dump printed nothing");
  return d;
}

void wg_set(const std::string& iface, const std::string& args) { must("wg set " + quote(iface) + " " + args); }

}  // namespace mesh
