#include "runtime/wg/keypair.h"

#include <utility>

#include "runtime/wg/aead.h"
#include "runtime/wg/messages.h"

namespace aclc::wg {

Keypair::Keypair(SessionKeys keys, Instant created)
    : keys_(std::move(keys)), send_key_(keys_.send), receive_key_(keys_.receive), created_(created) {}

std::optional<size_t> Keypair::seal(std::span<const uint8_t> payload, Instant now, uint8_t* out) {
  if (expired(now) || send_counter_ >= kRejectAfterMessages) return std::nullopt;
  uint64_t counter = send_counter_;
  if (!send_key_.seal(counter, payload, out + kTransportHeaderSize)) return std::nullopt;
  ++send_counter_;
  encode_transport_header({keys_.remote_index, counter}, out);
  return kTransportHeaderSize + payload.size() + kAeadTagSize;
}

std::optional<size_t> Keypair::open(std::span<const uint8_t> datagram, Instant now, uint8_t* out) {
  auto h = decode_transport_header(datagram);
  if (!h || h->receiver != keys_.local_index || expired(now)) return std::nullopt;
  if (h->counter >= kRejectAfterMessages) return std::nullopt;
  auto ciphertext = datagram.subspan(kTransportHeaderSize);
  if (!receive_key_.open(h->counter, ciphertext, out)) return std::nullopt;
  if (!replay_.accept(h->counter, kRejectAfterMessages)) return std::nullopt;
  return ciphertext.size() - kAeadTagSize;
}

bool Keypair::needs_rekey(Instant now) const {
  return keys_.initiator && (send_counter_ > kRekeyAfterMessages || now - created_ >= kRekeyAfterTime);
}

void KeypairSet::install(std::unique_ptr<Keypair> kp) {
  if (kp->initiator()) {
    // An unconfirmed next is more recent than current: keep it as previous.
    if (next_) previous_ = std::move(next_);
    else previous_ = std::move(current_);
    current_ = std::move(kp);
  } else {
    next_ = std::move(kp);
    previous_.reset();
  }
}

bool KeypairSet::confirm(const Keypair* kp) {
  if (kp == nullptr || kp != next_.get()) return false;
  previous_ = std::move(current_);
  current_ = std::move(next_);
  return true;
}

Keypair* KeypairSet::find(uint32_t local_index) {
  for (Keypair* kp : {current_.get(), previous_.get(), next_.get()})
    if (kp != nullptr && kp->local_index() == local_index) return kp;
  return nullptr;
}

void KeypairSet::clear() {
  previous_.reset();
  current_.reset();
  next_.reset();
}

}  // namespace aclc::wg
