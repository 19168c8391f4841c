// The signed per-device bundle: everything a node needs to enforce its part
// of the policy (its inbound filter, its peers), bound to one device, one
// policy revision and one serial, signed by the control key.
//
// This library is the format alone: encode, decode, sign, verify, and a
// lookup over a decoded filter. It depends on libsodium and the C++ standard
// library only, so that the node runtime links it without the compiler.
// docs/bundle-format.md specifies the bytes.
//
// Decoding never trusts its input: every length is checked against the bytes
// that remain before anything is allocated, every structure is checked to be
// canonical (sorted, disjoint, in range), and any violation rejects the whole
// bundle (fail closed). open() checks the signature before it parses
// anything.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace aclc::bundle {

using u128 = unsigned __int128;

inline constexpr std::array<uint8_t, 8> kMagic = {'a', 'c', 'l', 'c', 'b', 'n', 'd', 'l'};
inline constexpr uint16_t kVersion = 1;
inline constexpr size_t kSignatureBytes = 64;
inline constexpr size_t kPublicKeyBytes = 32;

// Sorted, disjoint, non-adjacent inclusive address intervals per family.
struct AddrSet {
  std::vector<std::pair<uint32_t, uint32_t>> v4;
  std::vector<std::pair<u128, u128>> v6;
  bool empty() const { return v4.empty() && v6.empty(); }
  bool contains_v4(uint32_t a) const;
  bool contains_v6(u128 a) const;
  friend bool operator==(const AddrSet&, const AddrSet&) = default;
};

struct Cell {
  uint16_t port_first = 0;
  uint16_t port_last = 0;  // inclusive
  AddrSet sources;         // never empty
  friend bool operator==(const Cell&, const Cell&) = default;
};

struct ProtoClass {
  std::vector<uint8_t> protos;  // strictly ascending, never empty
  std::vector<Cell> cells;      // ascending by port, disjoint, never empty
  friend bool operator==(const ProtoClass&, const ProtoClass&) = default;
};

struct Zone {
  AddrSet dsts;                     // never empty; zones are disjoint
  std::vector<ProtoClass> classes;  // disjoint protocols
  friend bool operator==(const Zone&, const Zone&) = default;
};

// An address prefix; the address has no bits set past `bits`.
struct Prefix {
  uint8_t family = 4;  // 4 or 6
  uint8_t bits = 0;    // 0..32 or 0..128
  u128 addr = 0;       // IPv4 in the low 32 bits
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

struct Peer {
  std::string name;
  std::optional<std::array<uint8_t, 32>> wireguard_key;
  std::vector<std::string> endpoints;  // "host:port"
  std::vector<Prefix> allowed_ips;     // addresses and approved routes
  friend bool operator==(const Peer&, const Peer&) = default;
};

struct Bundle {
  std::string device;              // hostname
  std::vector<Prefix> addresses;   // the device's own addresses
  std::string revision;            // policy revision (commit, sha256, ...)
  uint64_t serial = 0;             // monotonic per control key
  uint64_t issued_at = 0;          // Unix seconds
  uint64_t expires_at = 0;         // Unix seconds; not valid at or after
  std::vector<Zone> filter;
  std::vector<Peer> peers;

  // The filter's verdict for a new inbound flow (addresses of one family;
  // IPv4 in the low 32 bits). Mirrors table::Table::allows.
  bool allows(uint8_t family, u128 src, u128 dst, uint8_t proto, uint16_t port) const;

  friend bool operator==(const Bundle&, const Bundle&) = default;
};

// The unsigned bytes of a bundle (everything the signature covers). Returns
// nullopt and sets `error` if the bundle is not canonical (the same checks
// decode() makes) or a field does not fit its length prefix.
std::optional<std::vector<uint8_t>> encode(const Bundle& b, std::string& error);

// Parses signed bytes without checking the signature: for inspection and
// tests. Use open() to accept a bundle.
std::optional<Bundle> decode(std::span<const uint8_t> bytes, std::string& error);

// An Ed25519 signing key (libsodium's 64-byte secret key). Zeroed on
// destruction; not copyable.
class SigningKey {
 public:
  // A fresh random key.
  static SigningKey generate();
  // From the text form written by to_text(); nullopt and `error` if it is
  // not one.
  static std::optional<SigningKey> from_text(std::string_view text, std::string& error);

  SigningKey(SigningKey&& o) noexcept;
  SigningKey& operator=(SigningKey&& o) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  std::array<uint8_t, kPublicKeyBytes> public_key() const;
  // "aclc-ed25519-secret:<base64 of the 32-byte seed>\n".
  std::string to_text() const;
  // Appends the detached signature of `body` to it.
  std::vector<uint8_t> sign(std::vector<uint8_t> body) const;

 private:
  SigningKey();
  std::array<uint8_t, 64> sk_{};
};

// "aclc-ed25519-public:<base64>\n" and back (trailing whitespace ignored).
std::string public_key_to_text(const std::array<uint8_t, kPublicKeyBytes>& pk);
std::optional<std::array<uint8_t, kPublicKeyBytes>> public_key_from_text(
    std::string_view text, std::string& error);

// encode() + sign().
std::optional<std::vector<uint8_t>> seal(const Bundle& b, const SigningKey& key,
                                         std::string& error);

// What a node must check before it installs a bundle.
struct Acceptance {
  std::array<uint8_t, kPublicKeyBytes> control_key{};
  std::string device;          // this node's name; empty: not checked
  uint64_t last_serial = 0;    // the serial of the bundle installed now
  bool have_last = false;      // false on first boot: any serial is accepted
  uint64_t now = 0;            // Unix seconds
};

// Verifies the signature over everything before it (before parsing), then
// decodes, then checks: serial strictly greater than the last accepted (no
// rollback, no replay), now < expires_at, issued_at <= expires_at, and the
// device name. nullopt with `error` on the first failure.
std::optional<Bundle> open(std::span<const uint8_t> bytes, const Acceptance& want,
                           std::string& error);

}  // namespace aclc::bundle
