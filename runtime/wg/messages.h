// WireGuard's four wire messages, byte by byte (whitepaper §5.4; all integers
// little-endian; byte 0 is the type and bytes 1-3 must be zero).
//
//   1 initiation  148 B: type | sender | ephemeral(32) | static(48) | timestamp(28) | mac1 | mac2
//   2 response     92 B: type | sender | receiver | ephemeral(32) | empty(16) | mac1 | mac2
//   3 cookie reply 64 B: type | receiver | nonce(24) | cookie(32)
//   4 transport  >= 32 B: type | receiver | counter(8) | ciphertext(padded payload + 16)
//
// decode_*() are total: any input of the wrong length or with a bad header
// yields nullopt, and no byte is read before its length is checked.
#ifndef ACLC_RUNTIME_WG_MESSAGES_H_
#define ACLC_RUNTIME_WG_MESSAGES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace aclc::wg {

enum class MessageType : uint8_t { kInitiation = 1, kResponse = 2, kCookieReply = 3, kTransport = 4 };

inline constexpr size_t kInitiationSize = 148;
inline constexpr size_t kResponseSize = 92;
inline constexpr size_t kCookieReplySize = 64;
inline constexpr size_t kTransportHeaderSize = 16;
inline constexpr size_t kTransportMinSize = 32;  // header + tag: a keepalive
inline constexpr size_t kInitiationMac1Offset = 116;
inline constexpr size_t kInitiationMac2Offset = 132;
inline constexpr size_t kResponseMac1Offset = 60;
inline constexpr size_t kResponseMac2Offset = 76;

// The type of a datagram if its header is valid and its length fits the
// type (exact for 1-3, >= 32 for 4); nullopt for anything else.
std::optional<MessageType> classify(std::span<const uint8_t> datagram);

struct Initiation {
  uint32_t sender = 0;
  std::array<uint8_t, 32> ephemeral{};
  std::array<uint8_t, 48> encrypted_static{};
  std::array<uint8_t, 28> encrypted_timestamp{};
  std::array<uint8_t, 16> mac1{};
  std::array<uint8_t, 16> mac2{};
};

struct Response {
  uint32_t sender = 0;
  uint32_t receiver = 0;
  std::array<uint8_t, 32> ephemeral{};
  std::array<uint8_t, 16> encrypted_nothing{};
  std::array<uint8_t, 16> mac1{};
  std::array<uint8_t, 16> mac2{};
};

struct CookieReply {
  uint32_t receiver = 0;
  std::array<uint8_t, 24> nonce{};
  std::array<uint8_t, 32> encrypted_cookie{};
};

// A transport message's header; the ciphertext is the rest of the datagram.
struct TransportHeader {
  uint32_t receiver = 0;
  uint64_t counter = 0;
};

std::array<uint8_t, kInitiationSize> encode(const Initiation& m);
std::array<uint8_t, kResponseSize> encode(const Response& m);
std::array<uint8_t, kCookieReplySize> encode(const CookieReply& m);
// Writes the 16-byte transport header to out.
void encode_transport_header(const TransportHeader& h, uint8_t out[kTransportHeaderSize]);

std::optional<Initiation> decode_initiation(std::span<const uint8_t> datagram);
std::optional<Response> decode_response(std::span<const uint8_t> datagram);
std::optional<CookieReply> decode_cookie_reply(std::span<const uint8_t> datagram);
std::optional<TransportHeader> decode_transport_header(std::span<const uint8_t> datagram);

// Zero padding added to an inner packet of plaintext_size bytes before
// encryption: up to a multiple of 16 but never past the device MTU (mtu 0 =
// unknown, pad to 16 only). Keepalives (size 0) get none.
size_t padding_size(size_t plaintext_size, size_t mtu);

}  // namespace aclc::wg

#endif  // ACLC_RUNTIME_WG_MESSAGES_H_
