#include "runtime/wg/cookie.h"

#include <cstring>
#include <string_view>

#include "runtime/wg/aead.h"
#include "runtime/wg/blake2s_kdf.h"

namespace aclc::wg {
namespace {

constexpr std::string_view kLabelMac1 = "mac1----";
constexpr std::string_view kLabelCookie = "cookie--";

Bytes text(std::string_view s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

struct MacOffsets {
  size_t mac1, mac2;
};
std::optional<MacOffsets> offsets(size_t size) {
  if (size == kInitiationSize) return MacOffsets{kInitiationMac1Offset, kInitiationMac2Offset};
  if (size == kResponseSize) return MacOffsets{kResponseMac1Offset, kResponseMac2Offset};
  return std::nullopt;
}

void derive(std::string_view label, const PublicKey& pub, Key& out) {
  blake2s_hash({text(label), pub}, out.data());
}

}  // namespace

CookieChecker::CookieChecker(const PublicKey& local_public) {
  derive(kLabelMac1, local_public, mac1_key_);
  derive(kLabelCookie, local_public, cookie_key_);
}

bool CookieChecker::check_mac1(std::span<const uint8_t> msg) const {
  auto off = offsets(msg.size());
  if (!off) return false;
  uint8_t mac[kMacSize];
  blake2s_mac(mac1_key_.view(), {msg.first(off->mac1)}, mac);
  return crypto_verify_16(mac, msg.data() + off->mac1) == 0;
}

void CookieChecker::rotate_if_stale(Instant now, const RandomSource* rng) {
  if (secret_born_ && now - *secret_born_ <= kCookieRefreshTime) return;
  if (rng == nullptr) return;
  (*rng)(secret_.data(), secret_.size());
  secret_born_ = now;
}

bool CookieChecker::cookie_for(std::span<const uint8_t> source, Instant now, Secret<16>& out) {
  if (!secret_born_ || now - *secret_born_ > kCookieRefreshTime) return false;
  blake2s_mac(secret_.view(), {source}, out.data());
  return true;
}

bool CookieChecker::check_mac2(std::span<const uint8_t> msg, std::span<const uint8_t> source,
                               Instant now) {
  auto off = offsets(msg.size());
  Secret<16> cookie;
  if (!off || !cookie_for(source, now, cookie)) return false;
  uint8_t mac[kMacSize];
  blake2s_mac(cookie.view(), {msg.first(off->mac2)}, mac);
  return crypto_verify_16(mac, msg.data() + off->mac2) == 0;
}

std::optional<CookieReply> CookieChecker::make_reply(std::span<const uint8_t> msg,
                                                     std::span<const uint8_t> source, Instant now,
                                                     const RandomSource& rng) {
  auto off = offsets(msg.size());
  if (!off) return std::nullopt;
  rotate_if_stale(now, &rng);
  Secret<16> cookie;
  if (!cookie_for(source, now, cookie)) return std::nullopt;
  CookieReply r;
  // The sender index sits at bytes 4..7 in both handshake messages.
  r.receiver = uint32_t(msg[4]) | uint32_t(msg[5]) << 8 | uint32_t(msg[6]) << 16 | uint32_t(msg[7]) << 24;
  rng(r.nonce.data(), r.nonce.size());
  xaead_seal(cookie_key_, r.nonce.data(), cookie.view(), msg.subspan(off->mac1, kMacSize),
             r.encrypted_cookie.data());
  return r;
}

CookieGenerator::CookieGenerator(const PublicKey& remote_public) {
  derive(kLabelMac1, remote_public, mac1_key_);
  derive(kLabelCookie, remote_public, cookie_key_);
}

bool CookieGenerator::add_macs(std::span<uint8_t> msg, Instant now) {
  auto off = offsets(msg.size());
  if (!off) return false;
  std::array<uint8_t, 16> mac1{};
  blake2s_mac(mac1_key_.view(), {std::span<const uint8_t>(msg.first(off->mac1))}, mac1.data());
  std::memcpy(msg.data() + off->mac1, mac1.data(), kMacSize);
  last_mac1_ = mac1;
  uint8_t* mac2 = msg.data() + off->mac2;
  if (cookie_set_ && now - *cookie_set_ < kCookieValidity) {
    blake2s_mac(cookie_.view(), {std::span<const uint8_t>(msg.first(off->mac2))}, mac2);
  } else {
    std::memset(mac2, 0, kMacSize);
  }
  return true;
}

bool CookieGenerator::consume_reply(const CookieReply& reply, Instant now) {
  if (!last_mac1_) return false;
  Secret<16> cookie;
  if (!xaead_open(cookie_key_, reply.nonce.data(), reply.encrypted_cookie, *last_mac1_, cookie.data()))
    return false;
  cookie_ = cookie;
  cookie_set_ = now;
  return true;
}

}  // namespace aclc::wg
