#include "runtime/wg/messages.h"

#include <algorithm>
#include <cstring>

namespace aclc::wg {
namespace {

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint32_t get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

template <size_t N>
void put(uint8_t*& p, const std::array<uint8_t, N>& a) {
  std::memcpy(p, a.data(), N);
  p += N;
}
template <size_t N>
void get(const uint8_t*& p, std::array<uint8_t, N>& a) {
  std::memcpy(a.data(), p, N);
  p += N;
}

bool header_is(std::span<const uint8_t> d, MessageType t, size_t exact) {
  return d.size() == exact && get32(d.data()) == uint32_t(t);
}

}  // namespace

std::optional<MessageType> classify(std::span<const uint8_t> d) {
  if (d.size() < 4) return std::nullopt;
  switch (get32(d.data())) {  // reads the three reserved bytes too
    case 1: if (d.size() == kInitiationSize) return MessageType::kInitiation; break;
    case 2: if (d.size() == kResponseSize) return MessageType::kResponse; break;
    case 3: if (d.size() == kCookieReplySize) return MessageType::kCookieReply; break;
    case 4: if (d.size() >= kTransportMinSize) return MessageType::kTransport; break;
    default: break;
  }
  return std::nullopt;
}

std::array<uint8_t, kInitiationSize> encode(const Initiation& m) {
  std::array<uint8_t, kInitiationSize> out{};
  uint8_t* p = out.data();
  put32(p, 1), p += 4;
  put32(p, m.sender), p += 4;
  put(p, m.ephemeral), put(p, m.encrypted_static), put(p, m.encrypted_timestamp);
  put(p, m.mac1), put(p, m.mac2);
  return out;
}

std::array<uint8_t, kResponseSize> encode(const Response& m) {
  std::array<uint8_t, kResponseSize> out{};
  uint8_t* p = out.data();
  put32(p, 2), p += 4;
  put32(p, m.sender), p += 4;
  put32(p, m.receiver), p += 4;
  put(p, m.ephemeral), put(p, m.encrypted_nothing), put(p, m.mac1), put(p, m.mac2);
  return out;
}

std::array<uint8_t, kCookieReplySize> encode(const CookieReply& m) {
  std::array<uint8_t, kCookieReplySize> out{};
  uint8_t* p = out.data();
  put32(p, 3), p += 4;
  put32(p, m.receiver), p += 4;
  put(p, m.nonce), put(p, m.encrypted_cookie);
  return out;
}

void encode_transport_header(const TransportHeader& h, uint8_t out[kTransportHeaderSize]) {
  put32(out, 4);
  put32(out + 4, h.receiver);
  put64(out + 8, h.counter);
}

std::optional<Initiation> decode_initiation(std::span<const uint8_t> d) {
  if (!header_is(d, MessageType::kInitiation, kInitiationSize)) return std::nullopt;
  Initiation m;
  const uint8_t* p = d.data() + 4;
  m.sender = get32(p), p += 4;
  get(p, m.ephemeral), get(p, m.encrypted_static), get(p, m.encrypted_timestamp);
  get(p, m.mac1), get(p, m.mac2);
  return m;
}

std::optional<Response> decode_response(std::span<const uint8_t> d) {
  if (!header_is(d, MessageType::kResponse, kResponseSize)) return std::nullopt;
  Response m;
  const uint8_t* p = d.data() + 4;
  m.sender = get32(p), p += 4;
  m.receiver = get32(p), p += 4;
  get(p, m.ephemeral), get(p, m.encrypted_nothing), get(p, m.mac1), get(p, m.mac2);
  return m;
}

std::optional<CookieReply> decode_cookie_reply(std::span<const uint8_t> d) {
  if (!header_is(d, MessageType::kCookieReply, kCookieReplySize)) return std::nullopt;
  CookieReply m;
  const uint8_t* p = d.data() + 4;
  m.receiver = get32(p), p += 4;
  get(p, m.nonce), get(p, m.encrypted_cookie);
  return m;
}

std::optional<TransportHeader> decode_transport_header(std::span<const uint8_t> d) {
  if (d.size() < kTransportMinSize || get32(d.data()) != uint32_t(MessageType::kTransport))
    return std::nullopt;
  return TransportHeader{get32(d.data() + 4), get64(d.data() + 8)};
}

size_t padding_size(size_t plaintext_size, size_t mtu) {
  size_t last = plaintext_size;
  if (mtu != 0 && last > mtu) last %= mtu;
  size_t padded = (last + 15) & ~size_t(15);
  if (mtu != 0) padded = std::min(padded, mtu);
  return padded - last;
}

}  // namespace aclc::wg
