// Traffic through the tunnel: ping, TCP and UDP, from a node's namespace to
// an address, with deadlines. Servers (EchoServer) run on a thread of the
// test process with sockets made inside the serving node's namespace.
#ifndef ACLC_TESTS_MESH_PROBE_H_
#define ACLC_TESTS_MESH_PROBE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/mesh/process.h"

namespace mesh {

class Netns;

// How many of `count` echo requests from `from` to `dst` were answered
// (ping -i interval_s, each waiting up to 1 s).
int ping(const Netns& from, const std::string& dst, int count = 1, double interval_s = 0.2);

// TCP echo (every connection gets its bytes back) and UDP echo (every
// datagram is sent back and its payload counted) on `ports` of every
// address of `ns`, until destroyed.
class EchoServer {
 public:
  EchoServer(const Netns& ns, const std::vector<uint16_t>& ports);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;
  // How many datagrams with exactly this payload arrived.
  size_t udp_seen(const std::string& payload) const;
  // TCP connections accepted so far on `port`.
  size_t tcp_accepted(uint16_t port) const;

 private:
  void serve();
  std::vector<int> tcp_, udp_;
  std::vector<uint16_t> ports_;
  int stop_[2] = {-1, -1};
  mutable std::mutex mu_;
  std::map<std::string, size_t> seen_;
  std::map<uint16_t, size_t> accepted_;
  std::thread thread_;
};

// Connects from `from` to dst:port, sends `bytes` bytes of a pattern and
// reads them back within `timeout`. True when every byte came back intact.
bool tcp_echo(const Netns& from, const std::string& dst, uint16_t port, size_t bytes, Millis timeout = Millis(5000));
// Sends `payload` from `from` to dst:port and waits up to `timeout` for the
// same bytes back.
bool udp_echo(const Netns& from, const std::string& dst, uint16_t port, const std::string& payload,
              Millis timeout = Millis(2000));
// One datagram, no answer awaited. `source_port` 0: any.
void udp_send(const Netns& from, const std::string& dst, uint16_t port, const std::string& payload,
              uint16_t source_port = 0);
// All ports at once: TCP connects (true: established) or UDP echoes (true:
// answered), waiting at most `timeout` in total.
std::vector<bool> tcp_reach(const Netns& from, const std::string& dst, const std::vector<uint16_t>& ports,
                            Millis timeout);
std::vector<bool> udp_reach(const Netns& from, const std::string& dst, const std::vector<uint16_t>& ports,
                            Millis timeout);

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_PROBE_H_
