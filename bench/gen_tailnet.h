// aclc-gen-tailnet's pieces: a portable seeded random generator, the
// tailnet model both shapes fill in, and the two shapes.
//
// Every draw goes through Rng (SplitMix64, specified here), never through
// the standard library's distributions, so the output depends only on the
// arguments, on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gen {

// SplitMix64: small, fast, and the same sequence on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0. The modulo bias is irrelevant at these sizes.
  size_t below(size_t n) { return size_t(next() % n); }
  // Uniform in [lo, hi].
  size_t between(size_t lo, size_t hi) { return lo + below(hi - lo + 1); }
  bool chance(unsigned percent) { return below(100) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

 private:
  uint64_t state_;
};

struct User {
  std::string name, email;
};

struct Device {
  std::string hostname;
  uint32_t v4 = 0;
  std::string user;  // email; empty for a tagged device
  std::vector<std::string> tags;
  std::vector<std::string> advertised, enabled;
};

// What devices.json is written from.
struct Tailnet {
  std::vector<User> users;
  std::vector<Device> devices;
};

// Appends s unless v has it already (selector lists repeat nothing).
void add_unique(std::vector<std::string>& v, const std::string& s);
std::string v4_text(uint32_t a);
// Tailscale's ULA for a node, derived from its IPv4 address so both are
// unique together.
std::string v6_text(uint32_t a);
// A fresh address in 100.64.0.0/10 (as Tailscale allocates: scattered, not
// sequential) outside ChromeOS's 100.115.92.0/23 and the .0 and .255 of
// each /24 (purely cosmetic).
uint32_t fresh_v4(Rng& rng, std::set<uint32_t>& used);
// Names here are plain ASCII without quotes or backslashes: no escaping.
std::string json_string(const std::string& s);
std::string join_quoted(const std::vector<std::string>& v);

// A generated tailnet: the policy text and the devices.
struct Generated {
  Tailnet tailnet;
  std::string policy;
};

// The realistic shape (gen_shape_realistic.cc): teams reach their own
// services, a handful of broad rules.
Generated realistic_tailnet(size_t n_devices, size_t n_rules, Rng& rng, const std::string& header);
// The worst case (gen_shape_worst.cc): rules drawn uniformly from every
// selector form, so autogroup:member and `*` sources land everywhere.
Generated worst_case_tailnet(size_t n_devices, size_t n_rules, Rng& rng, const std::string& header);

}  // namespace gen
