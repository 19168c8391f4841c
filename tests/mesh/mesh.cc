#include "tests/mesh/mesh.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/mesh/cleanup.h"
#include "tests/mesh/error.h"

namespace mesh {
namespace {

// The route every node's namespace sends through its TUN: the CGNAT range
// Tailscale addresses come from.
constexpr const char* kMeshRoute = "100.64.0.0/10";

std::string tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "    " + all[i] + "\n";
  return out;
}

bool verbose() { return std::getenv("MESH_VERBOSE") != nullptr; }

}  // namespace

std::string impl_name(Impl impl) { return impl == Impl::kMeshd ? "meshd" : "wireguard-go"; }

void Node::reload() {
  if (daemon_.pid() > 0) kill(daemon_.pid(), SIGHUP);
}

Mesh::Mesh(Binaries binaries) : bin_(std::move(binaries)) {
  static char next_tag = 'a';
  tag_ = next_tag;
  next_tag = next_tag == 'z' ? 'a' : static_cast<char>(next_tag + 1);
  char tmpl[] = "/tmp/mesht-XXXXXX";
  if (!mkdtemp(tmpl)) throw_errno("mkdtemp");
  dir_ = tmpl;
  if (!std::getenv("MESH_KEEP")) {
    std::string d = dir_;
    dir_cleanup_ = on_cleanup([d] { run("rm -rf " + quote(d)); });
  }
  udp_ = std::make_unique<Netns>(std::string(1, tag_) + "-udp");
}

Mesh::~Mesh() {
  for (auto& n : nodes_) n->daemon_.stop();
  nodes_.clear();  // their namespaces go once no daemon holds them
  udp_.reset();
  if (dir_cleanup_) {
    cancel_cleanup(dir_cleanup_);
    run("rm -rf " + quote(dir_));
  }
}

Node& Mesh::add(const NodeSpec& spec) {
  auto n = std::make_unique<Node>();
  n->spec_ = spec;
  size_t index = nodes_.size();
  // Interface names are global (the UAPI socket directory is shared by
  // every namespace): "mt<pid><mesh><node>", at most 15 characters.
  n->iface_ = "mt" + std::to_string(getpid()) + tag_ + static_cast<char>('a' + index);
  n->listen_port_ = static_cast<uint16_t>(51000 + index);
  n->advertised_port_ = n->listen_port_;
  n->keys_ = KeyPair::generate();
  n->ns_ = std::make_unique<Netns>(std::string(1, tag_) + "-" + spec.name);
  n->log_path_ = dir_ + "/" + spec.name + ".log";
  nodes_.push_back(std::move(n));
  return *nodes_.back();
}

Node& Mesh::node(const std::string& name) {
  for (auto& n : nodes_)
    if (n->name() == name) return *n;
  throw Error("no node " + name);
}

void Mesh::advertise(Node& node, uint16_t port) { node.advertised_port_ = port; }

std::vector<DeviceEntry> Mesh::devices() const {
  std::vector<DeviceEntry> out;
  for (const auto& n : nodes_) {
    DeviceEntry d;
    d.hostname = n->name();
    d.addresses = {n->address()};
    d.user = n->spec_.user;
    d.tags = n->spec_.tags;
    d.wireguard_public_key = n->public_key();
    d.endpoint = endpoint(*n);
    out.push_back(d);
  }
  return out;
}

void Mesh::compile_bundles(const std::string& policy) {
  if (bin_.aclc.empty()) throw Error("a meshd node needs the aclc binary to compile its bundle");
  if (!kit_) kit_ = std::make_unique<BundleKit>(bin_.aclc, dir_);
  std::string policy_path = dir_ + "/policy-" + std::to_string(serial_) + ".hujson";
  std::string devices_path = dir_ + "/devices.json";
  write_file(policy_path, policy);
  write_file(devices_path, devices_json_.empty() ? devices_json(devices()) : devices_json_);
  std::string out = kit_->compile(policy_path, devices_path, serial_);
  for (auto& n : nodes_) n->bundle_path_ = out + "/" + n->name() + ".bundle";
  // meshd reads --bundle at every SIGHUP: point a stable path at the newest.
  for (auto& n : nodes_) {
    if (n->impl() != Impl::kMeshd) continue;
    write_file(dir_ + "/" + n->name() + ".bundle", read_file(n->bundle_path_), 0600);
  }
  ++serial_;
}

void Mesh::start_daemon(Node& n) {
  SpawnOptions o;
  o.netns = udp_.get();
  o.output_path = n.log_path_;
  std::vector<std::string> argv;
  std::string key_path = dir_ + "/" + n.name() + ".wgkey";
  write_file(key_path, base64(n.keys_.private_key) + "\n", 0600);
  if (n.impl() == Impl::kWireguardGo) {
    o.env = {std::string("LOG_LEVEL=") + (verbose() ? "verbose" : "error")};
    argv = {"wireguard-go", "-f", n.iface_};
  } else {
    if (bin_.meshd.empty()) throw Error("no meshd binary");
    std::string state = dir_ + "/" + n.name() + ".state";
    must("mkdir -p " + quote(state));
    argv = {bin_.meshd,       "--foreground", n.iface_, "--private-key", key_path, "--control-key",
            kit_->control_public_key(), "--bundle", dir_ + "/" + n.name() + ".bundle", "--state-dir", state,
            "--listen-port", std::to_string(n.listen_port_), "--no-addresses"};
    if (n.spec_.time_scale > 0) {
      argv.push_back("--test-time-scale");
      argv.push_back(std::to_string(n.spec_.time_scale));
    }
    if (verbose()) argv.push_back("--log-level=debug");
  }
  n.daemon_ = Process::spawn(argv, o);
  // Up when its UAPI socket answers.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    if (!n.daemon_.running())
      throw Error(impl_name(n.impl()) + " for " + n.name() + " exited at start:\n" + tail(n.log_path_, 30));
    if (uapi_listening(n.iface_)) break;
    if (std::chrono::steady_clock::now() > end)
      throw Error(impl_name(n.impl()) + " for " + n.name() + " did not open its UAPI socket:\n" +
                  tail(n.log_path_, 30));
    std::this_thread::sleep_for(Millis(20));
  }
  // The netns trick: the UDP socket stays in udp, the TUN moves.
  must("ip -n " + quote(udp_->name()) + " link set " + n.iface_ + " netns " + quote(n.ns().name()));
  if (n.impl() == Impl::kWireguardGo)
    wg_set(n.iface_, "private-key " + quote(key_path) + " listen-port " + std::to_string(n.listen_port_));
  std::string ip = "ip -n " + quote(n.ns().name()) + " ";
  must(ip + "addr add " + n.address() + "/32 dev " + n.iface_);
  must(ip + "link set " + n.iface_ + " up");
  must(ip + "route add " + kMeshRoute + " dev " + n.iface_);
}

void Mesh::start(const std::string& policy, const std::string& devices) {
  devices_json_ = devices;
  bool any_meshd = false;
  for (auto& n : nodes_) any_meshd |= n->impl() == Impl::kMeshd;
  if (any_meshd) compile_bundles(policy);
  for (auto& n : nodes_) start_daemon(*n);
  for (auto& n : nodes_) {
    if (n->impl() != Impl::kWireguardGo) continue;
    for (auto& p : nodes_) {
      if (p.get() == n.get()) continue;
      wg_set(n->iface_, "peer " + p->public_key() + " allowed-ips " + p->address() + "/32 endpoint 127.0.0.1:" +
                            std::to_string(p->advertised_port_));
    }
  }
}

void Mesh::reload_policy(const std::string& policy) {
  compile_bundles(policy);
  for (auto& n : nodes_)
    if (n->impl() == Impl::kMeshd) n->reload();
}

std::string Mesh::logs(size_t lines) const {
  std::string out;
  for (const auto& n : nodes_)
    out += "  " + n->name() + " (" + impl_name(n->impl()) + ", " + n->iface_ + ") log:\n" + tail(n->log_path_, lines);
  return out;
}

std::string missing_prerequisites(const std::vector<std::string>& tools) {
  if (geteuid() != 0) return "needs root (network namespaces, TUN)";
  if (access("/dev/net/tun", R_OK | W_OK) != 0) return "/dev/net/tun is not usable";
  for (const std::string& t : tools)
    if (!have_tool(t)) return t + " is not installed: run scripts/setup.sh";
  return "";
}

}  // namespace mesh
