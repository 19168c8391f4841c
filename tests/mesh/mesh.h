// A WireGuard mesh of test nodes in network namespaces, in the topology of
// wireguard-go's and the kernel's own netns tests (dataplane.md §2.3):
//
//   udp namespace: lo only; every daemon runs here, so all UDP endpoints
//                  are 127.0.0.1:<port> and nothing leaves the machine
//   one namespace per node: the node's TUN, moved there after the daemon
//                  created it, with the node's address and the mesh route
//
// A node is wireguard-go (configured with `wg set`) or meshd (configured by
// a bundle compiled with aclc from the test's policy); everything else —
// probes, `wg show`, relays — is the same for both, so a test swaps one
// side by changing one enum.
#ifndef ACLC_TESTS_MESH_MESH_H_
#define ACLC_TESTS_MESH_MESH_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/mesh/bundle_kit.h"
#include "tests/mesh/keys.h"
#include "tests/mesh/netns.h"
#include "tests/mesh/process.h"
#include "tests/mesh/wg_tool.h"

namespace mesh {

enum class Impl { kWireguardGo, kMeshd };
std::string impl_name(Impl impl);

struct NodeSpec {
  std::string name;  // hostname in the bundle's device list; namespace suffix
  Impl impl = Impl::kWireguardGo;
  std::string address;  // the node's IPv4 mesh address, e.g. "100.64.0.1"
  std::string user = "owner@example.com";  // device owner; empty with tags
  std::vector<std::string> tags;
  int time_scale = 0;  // meshd --test-time-scale (0: off)
};

class Node {
 public:
  const std::string& name() const { return spec_.name; }
  Impl impl() const { return spec_.impl; }
  const std::string& address() const { return spec_.address; }
  const std::string& iface() const { return iface_; }
  const Netns& ns() const { return *ns_; }
  uint16_t listen_port() const { return listen_port_; }
  const KeyPair& keys() const { return keys_; }
  std::string public_key() const { return base64(keys_.public_key); }
  const std::string& log_path() const { return log_path_; }
  // The daemon is still running.
  bool alive() { return daemon_.running(); }
  // `wg show IFACE dump`.
  DeviceState show() const { return wg_show(iface_); }
  // Sends SIGHUP to the daemon (meshd: reload the bundle).
  void reload();
  // Stops the daemon (SIGTERM, then SIGKILL); returns its exit status.
  int stop() { return daemon_.stop(); }

 private:
  friend class Mesh;
  NodeSpec spec_;
  std::string iface_;
  uint16_t listen_port_ = 0;
  uint16_t advertised_port_ = 0;  // where peers send to reach it
  KeyPair keys_;
  std::unique_ptr<Netns> ns_;
  std::string log_path_, bundle_path_;
  Process daemon_;
};

struct Binaries {
  std::string aclc;   // needed when a node is meshd
  std::string meshd;
};

class Mesh {
 public:
  Mesh(Binaries binaries);
  ~Mesh();
  Mesh(const Mesh&) = delete;
  Mesh& operator=(const Mesh&) = delete;

  Node& add(const NodeSpec& spec);
  Node& node(const std::string& name);
  // Peers reach `node` at 127.0.0.1:port instead of its listen port (a
  // relay in between). Before start().
  void advertise(Node& node, uint16_t port);
  // Starts every node and peers every pair: wireguard-go by `wg set`
  // (allowed IPs: the peer's address; no keepalive, so the first packet
  // decides who initiates), meshd by a bundle compiled from `policy` (aclc
  // dialect) and a device list: `devices_json` if given (it must list every
  // node with its key and endpoint), else one made from the nodes
  // (devices()). Throws mesh::Error.
  void start(const std::string& policy = kAllowAll, const std::string& devices_json = "");
  // Recompiles with `policy` under a higher serial and SIGHUPs meshd nodes.
  void reload_policy(const std::string& policy);

  const Netns& udp() const { return *udp_; }
  const std::string& dir() const { return dir_; }
  std::vector<DeviceEntry> devices() const;
  // Where a node is reached from its peers: "127.0.0.1:<port>".
  std::string endpoint(const Node& node) const { return "127.0.0.1:" + std::to_string(node.advertised_port_); }
  // The tail of every daemon's log, for failure messages.
  std::string logs(size_t lines_per_node = 25) const;

  static constexpr const char* kAllowAll = R"({"acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]})";

 private:
  void start_daemon(Node& n);
  void compile_bundles(const std::string& policy);
  std::string devices_json_;  // the device list given to start(), if any

  Binaries bin_;
  std::string dir_;
  int dir_cleanup_ = 0;
  std::unique_ptr<Netns> udp_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unique_ptr<BundleKit> kit_;
  unsigned long serial_ = 1000;
  char tag_;
};

// Tells whether the host can run these tests: root, /dev/net/tun, and the
// tools on PATH. Empty when it can; otherwise what is missing.
std::string missing_prerequisites(const std::vector<std::string>& tools);

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_MESH_H_
