// The device registry: the tailnet's inventory as the control server keeps
// it. A node registers its WireGuard public key and hostname with a pre-auth
// key; the registry gives it addresses (Tailscale's ranges: one IPv4 address
// from 100.64.0.0/10 and the IPv6 address fd7a:115c:a1e0::<same offset>),
// its tags and owner from the auth key. Addresses are never reused: a
// revoked device's address could still be in a stale bundle somewhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aclc::control {

struct RegisteredDevice {
  std::string id;                  // 16 hex digits
  std::string hostname;            // unique; the bundle's device name
  std::string user;                // owner login (untagged devices)
  std::vector<std::string> tags;   // "tag:x"
  std::string wireguard_key;       // base64 of 32 bytes, unique
  std::vector<std::string> endpoints;  // "host:port"
  std::string ipv4, ipv6;          // assigned addresses
  uint64_t created = 0;
};

// The addresses of the n-th device (n >= 1; at most 2^22 - 2 of them).
// nullopt when the range is exhausted.
std::optional<std::pair<std::string, std::string>> addresses_for(uint64_t n);

// A hostname the registry accepts: 1..63 bytes of [a-z0-9-], not starting
// or ending with '-' (a DNS label, and safe as a file name).
bool valid_hostname(std::string_view s);

// "host:port" with a port 1..65535 (host may be [v6]).
bool valid_endpoint(std::string_view s);

// Base64 of exactly 32 bytes (a WireGuard public key).
bool valid_wireguard_key(std::string_view s);

// The inventory as the compiler loads it (compiler/front/inventory.h):
// {"devices":[{"id","hostname","name","addresses","user","tags",
// "wireguardPublicKey","endpoints"}]}, the shape of Tailscale's
// GET /api/v2/tailnet/-/devices.
std::string inventory_json(const std::vector<RegisteredDevice>& devices);

}  // namespace aclc::control
