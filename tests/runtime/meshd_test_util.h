// Helpers for meshd's root-free tests: a temporary directory and signed
// bundles made in memory.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "runtime/meshd/files.h"

namespace aclc::meshd::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path() / "meshd-test-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline bundle::Prefix v4(uint32_t a, uint8_t bits = 32) { return {4, bits, a}; }

inline std::array<uint8_t, 32> wg_key(uint8_t fill) {
  std::array<uint8_t, 32> k;
  k.fill(fill);
  return k;
}

// A small valid bundle for device `device`: one zone admitting TCP 443
// from 100.64.0.2, and two peers.
inline bundle::Bundle sample_bundle(const std::string& device, uint64_t serial, uint64_t now) {
  bundle::Bundle b;
  b.device = device;
  b.addresses = {v4(0x64400001)};
  b.revision = "sha256:test";
  b.serial = serial;
  b.issued_at = now;
  b.expires_at = now + 3600;
  bundle::Zone z;
  z.dsts.v4 = {{0x64400001, 0x64400001}};
  bundle::ProtoClass c;
  c.protos = {6};
  bundle::Cell cell;
  cell.port_first = cell.port_last = 443;
  cell.sources.v4 = {{0x64400002, 0x64400002}};
  c.cells = {cell};
  z.classes = {c};
  b.filter = {z};
  bundle::Peer p1{"phone", wg_key(1), {"127.0.0.1:20001"}, {v4(0x64400002)}};
  bundle::Peer p2{"server", wg_key(2), {"[::1]:20002"}, {v4(0x64400003), v4(0x0a000000, 8)}};
  b.peers = {p1, p2};
  return b;
}

inline std::vector<uint8_t> seal_or_die(const bundle::Bundle& b, const bundle::SigningKey& key) {
  std::string error;
  auto bytes = bundle::seal(b, key, error);
  if (!bytes) throw std::runtime_error("seal: " + error);
  return *bytes;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::string error;
  if (!write_file_atomic(path, bytes, error)) throw std::runtime_error(error);
}

}  // namespace aclc::meshd::testing
