// Cryptokey routing (whitepaper §2): one longest-prefix-match table per
// address family mapping an allowed-IPs prefix to the peer that owns it.
// Outbound, the destination picks the peer; inbound, the decrypted packet's
// source must map back to the peer it came from.
//
// Addresses are raw network-order bytes: 4 for IPv4, 16 for IPv6. Host
// bits past the prefix length are ignored. Inserting a prefix another peer
// owns moves it (as `wg set` does).
#ifndef ACLC_RUNTIME_WG_ALLOWEDIPS_H_
#define ACLC_RUNTIME_WG_ALLOWEDIPS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace aclc::wg {

using PeerId = uint32_t;

struct AllowedPrefix {
  std::vector<uint8_t> address;  // 4 or 16 bytes, host bits zero
  unsigned length = 0;
};

class AllowedIps {
 public:
  AllowedIps();
  ~AllowedIps();
  AllowedIps(AllowedIps&&) noexcept;
  AllowedIps& operator=(AllowedIps&&) noexcept;

  // False (and no change) if address is not 4 or 16 bytes or length
  // exceeds its bit count.
  bool insert(std::span<const uint8_t> address, unsigned length, PeerId peer);
  // Removes exactly this prefix; false if it was not present.
  bool remove(std::span<const uint8_t> address, unsigned length);
  // Removes every prefix of peer.
  void remove_peer(PeerId peer);
  // The owner of the longest prefix containing address.
  std::optional<PeerId> lookup(std::span<const uint8_t> address) const;
  // The prefixes peer owns, IPv4 first, each in address order.
  std::vector<AllowedPrefix> prefixes_of(PeerId peer) const;
  void clear();

  struct Node;  // trie node; defined in allowedips.cc

 private:
  std::unique_ptr<Node> root4_, root6_;
};

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_ALLOWEDIPS_H_
