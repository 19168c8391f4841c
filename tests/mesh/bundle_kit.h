// Signed bundles for meshd test nodes, made the way an operator makes them:
// a device list with each node's WireGuard public key and endpoint (aclc's
// optional "wireguardPublicKey" and "endpoints" fields), `aclc keygen` for
// the control key and `aclc compile --format bundle --sign-key`.
#ifndef ACLC_TESTS_MESH_BUNDLE_KIT_H_
#define ACLC_TESTS_MESH_BUNDLE_KIT_H_

#include <string>
#include <vector>

namespace mesh {

struct DeviceEntry {
  std::string hostname;
  std::vector<std::string> addresses;
  std::string user;                // owner's email; empty for none
  std::vector<std::string> tags;
  std::string wireguard_public_key;  // base64; empty: none
  std::string endpoint;              // "host:port"; empty: none
};

// Tailscale's device-list JSON with aclc's extensions and a users list
// (one user per distinct owner).
std::string devices_json(const std::vector<DeviceEntry>& devices);

class BundleKit {
 public:
  // aclc: the aclc executable; dir: where keys and bundles go.
  BundleKit(std::string aclc, std::string dir);
  // `aclc keygen` once; returns the public key file (aclc-ed25519-public:…).
  const std::string& control_public_key();
  // Compiles every device's bundle into dir/bundles-<serial>/ and returns
  // that directory; DEVICE.bundle inside. Throws mesh::Error with aclc's
  // output if it fails.
  std::string compile(const std::string& policy_path, const std::string& devices_path, unsigned long serial,
                      bool verify = false);

 private:
  std::string aclc_, dir_, secret_, public_;
};

// Writes text to path atomically (temporary file, then rename). Throws.
void write_file(const std::string& path, const std::string& text, unsigned mode = 0644);
std::string read_file(const std::string& path);

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_BUNDLE_KIT_H_
