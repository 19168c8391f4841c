#include "runtime/device/device.h"

#include <sodium.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "runtime/wg/aead.h"
#include "runtime/wg/messages.h"
#include "runtime/wg/tai64n.h"

namespace aclc::runtime {
namespace {

using wg::IndexEntry;
using wg::Instant;

constexpr size_t kMaxIpPacket = 65535;

static_assert(kPacketHeadroom >= wg::kTransportHeaderSize, "room for the transport header");
static_assert(kPacketTailroom >= 15 + wg::kAeadTagSize, "room for the padding and the tag");

uint16_t load_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

size_t address_size(uint8_t family) { return family == 6 ? 16 : 4; }

bool valid_prefix(const AllowedIp& ip) {
  return (ip.family == 4 && ip.bits <= 32) || (ip.family == 6 && ip.bits <= 128);
}

// The prefix's address with the bits past its length cleared, as the
// allowed-IPs table stores it.
std::vector<uint8_t> masked_address(const AllowedIp& ip) {
  std::vector<uint8_t> a(ip.address.begin(), ip.address.begin() + long(address_size(ip.family)));
  for (size_t bit = ip.bits; bit < a.size() * 8; ++bit) a[bit / 8] &= uint8_t(~(0x80u >> (bit % 8)));
  return a;
}

// The address bytes the inner packet's header names at the given offsets
// (source or destination), after checking the header is complete; an
// empty span for anything that is not IPv4 or IPv6.
std::span<const uint8_t> ip_address(std::span<const uint8_t> packet, bool source) {
  if (packet.empty()) return {};
  switch (packet[0] >> 4) {
    case 4:
      if (packet.size() < 20) return {};
      return packet.subspan(source ? 12 : 16, 4);
    case 6:
      if (packet.size() < 40) return {};
      return packet.subspan(source ? 8 : 24, 16);
    default:
      return {};
  }
}

// The length of the IP packet at the start of a decrypted payload (padding
// trimmed), or 0 if the header is malformed or claims more than is there.
size_t inner_packet_length(std::span<const uint8_t> payload) {
  if (payload.empty()) return 0;
  switch (payload[0] >> 4) {
    case 4: {
      if (payload.size() < 20) return 0;
      size_t total = load_be16(&payload[2]);
      return total >= 20 && total <= payload.size() ? total : 0;
    }
    case 6: {
      if (payload.size() < 40) return 0;
      size_t total = size_t(load_be16(&payload[4])) + 40;
      return total <= payload.size() ? total : 0;
    }
    default:
      return 0;
  }
}

// What the cookie MAC binds a handshake to: the source address and port.
size_t cookie_source(const Endpoint& from, uint8_t out[18]) {
  size_t n = address_size(from.family);
  std::memcpy(out, from.address.data(), n);
  out[n] = uint8_t(from.port >> 8);
  out[n + 1] = uint8_t(from.port);
  return n + 2;
}

}  // namespace

struct Device::Scratch {
  std::vector<uint8_t> packet = std::vector<uint8_t>(kPacketHeadroom + kMaxIpPacket + kPacketTailroom);
  std::array<uint8_t, wg::kTransportMinSize> keepalive{};
};

WallTime system_wall_clock() {
  auto since = std::chrono::system_clock::now().time_since_epoch();
  auto sec = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(since - sec);
  return {sec.count(), nsec.count()};
}

Device::Device(DeviceOutput& output, PacketPolicy& policy, wg::RandomSource rng, WallClock wall,
               DeviceOptions options)
    : output_(output),
      policy_(policy),
      rng_(std::move(rng)),
      wall_(std::move(wall)),
      options_(options),
      indices_(rng_),
      handshake_queue_(options.handshake_queue),
      load_(options.load_threshold),
      scratch_(std::make_unique<Scratch>()) {
  // libsodium picks its vectorised ChaCha20/Poly1305 only in sodium_init()
  // (2.5x faster here); idempotent and thread-safe.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  deliveries_.reserve(256);
  batch_peers_.reserve(16);
  cookie_replies_.reserve(kCookieReplyBatch);
  reply_views_.reserve(kCookieReplyBatch);
}

Device::~Device() = default;

// ---------------------------------------------------------------- config

int Device::apply(const DeviceConfig& config) {
  // Validate everything first: apply() is all or nothing.
  for (const PeerConfig& pc : config.peers) {
    if (pc.endpoint && pc.endpoint->family != 4 && pc.endpoint->family != 6) return -EINVAL;
    for (const auto* list : {&pc.add_allowed_ips, &pc.remove_allowed_ips})
      for (const AllowedIp& ip : *list)
        if (!valid_prefix(ip)) return -EINVAL;
  }

  if (config.private_key) set_private_key(*config.private_key);
  if (config.listen_port) listen_port_ = *config.listen_port;
  if (config.fwmark) fwmark_ = *config.fwmark;
  if (config.replace_peers)
    while (!peers_.empty()) remove_peer(peers_.begin()->first);

  for (const PeerConfig& pc : config.peers) {
    if (identity_ && pc.public_key == identity_->public_key) continue;  // our own key: ignored
    Peer* peer = peer_by_key(pc.public_key);
    if (pc.remove) {
      if (peer != nullptr) remove_peer(peer->id);
      continue;
    }
    if (peer == nullptr) {
      if (pc.update_only) continue;
      wg::PeerId id = next_peer_id_++;
      auto owned = std::make_unique<Peer>(id, pc.public_key, jitter());
      peer = owned.get();
      peers_.emplace(id, std::move(owned));
      peer_ids_.emplace(pc.public_key, id);
      known_peers_.reset();
      rebuild_handshake(*peer);
    }
    if (pc.preshared_key) {
      peer->preshared_key = *pc.preshared_key;
      rebuild_handshake(*peer);
    }
    if (pc.endpoint) peer->endpoint = *pc.endpoint;
    if (pc.persistent_keepalive) {
      bool was_off = peer->persistent_keepalive == 0;
      peer->persistent_keepalive = *pc.persistent_keepalive;
      if (peer->persistent_keepalive == 0) peer->persistent_deadline.reset();
      // As wireguard-go: turning it on sends a keepalive right away.
      else if (was_off) peer->persistent_deadline = last_now_.value_or(Instant(0));
    }
    if (pc.replace_allowed_ips) allowed_ips_.remove_peer(peer->id);
    if (!pc.remove_allowed_ips.empty()) {
      // Only a prefix this peer owns is removed (another peer's stays).
      auto owned = allowed_ips_.prefixes_of(peer->id);
      for (const AllowedIp& ip : pc.remove_allowed_ips) {
        std::vector<uint8_t> address = masked_address(ip);
        for (const wg::AllowedPrefix& p : owned)
          if (p.length == ip.bits && p.address == address) allowed_ips_.remove(address, ip.bits);
      }
    }
    for (const AllowedIp& ip : pc.add_allowed_ips)
      allowed_ips_.insert(std::span<const uint8_t>(ip.address.data(), address_size(ip.family)), ip.bits,
                          peer->id);
  }
  return 0;
}

DeviceStatus Device::status() const {
  DeviceStatus s;
  if (identity_) s.private_key = identity_->private_key;
  s.listen_port = listen_port_;
  s.fwmark = fwmark_;
  for (const auto& [id, peer] : peers_) {
    PeerStatus p;
    p.public_key = peer->public_key;
    p.preshared_key = peer->preshared_key;
    p.endpoint = peer->endpoint;
    p.last_handshake_sec = peer->last_handshake_sec;
    p.last_handshake_nsec = peer->last_handshake_nsec;
    p.rx_bytes = peer->rx_bytes;
    p.tx_bytes = peer->tx_bytes;
    p.persistent_keepalive = peer->persistent_keepalive;
    for (const wg::AllowedPrefix& prefix : allowed_ips_.prefixes_of(id)) {
      AllowedIp ip;
      ip.family = prefix.address.size() == 16 ? 6 : 4;
      std::memcpy(ip.address.data(), prefix.address.data(), prefix.address.size());
      ip.bits = uint8_t(prefix.length);
      p.allowed_ips.push_back(ip);
    }
    s.peers.push_back(std::move(p));
  }
  return s;
}

std::optional<PeerRuntime> Device::peer_runtime(const Key32& public_key) const {
  auto it = peer_ids_.find(public_key);
  if (it == peer_ids_.end()) return std::nullopt;
  Peer& peer = *peers_.at(it->second);
  PeerRuntime r;
  if (wg::Keypair* kp = peer.keypairs.current()) {
    r.has_session = true;
    r.session_created = kp->created();
  }
  r.handshakes_completed = peer.handshakes_completed;
  r.staged = peer.staged.size();
  r.handshake_attempts = peer.timers.handshake_attempts();
  return r;
}

std::optional<Key32> Device::public_key() const {
  if (!identity_) return std::nullopt;
  return identity_->public_key;
}

wg::PeerTimers::Jitter Device::jitter() {
  return [this] {
    uint8_t b[4];
    rng_(b, sizeof b);
    uint32_t v = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
    auto max_us = std::chrono::duration_cast<std::chrono::microseconds>(wg::kRekeyTimeoutJitterMax).count();
    return wg::Duration(std::chrono::microseconds(v % uint32_t(max_us)));
  };
}

Peer* Device::peer_by_id(wg::PeerId id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

Peer* Device::peer_by_key(const Key32& key) {
  auto it = peer_ids_.find(key);
  return it == peer_ids_.end() ? nullptr : peer_by_id(it->second);
}

void Device::remove_peer(wg::PeerId id) {
  Peer* peer = peer_by_id(id);
  if (peer == nullptr) return;
  clear_sessions(*peer);
  peer->timers.stop();
  allowed_ips_.remove_peer(id);
  peer_ids_.erase(peer->public_key);
  peers_.erase(id);
  known_peers_.reset();
}

void Device::set_private_key(const wg::Secret<32>& key) {
  if (key.is_zero()) {
    if (!identity_) return;
    identity_.reset();
    ++identity_generation_;
    cookie_checker_.reset();
    for (auto& [id, peer] : peers_) expire_sessions(*peer);  // handshakes kept (cleared) for their replay state
    return;
  }
  if (identity_ && wg::equal_ct(key.view(), identity_->private_key.view())) return;
  identity_ = std::make_shared<const wg::LocalIdentity>(wg::LocalIdentity::from_private(key));
  ++identity_generation_;
  cookie_checker_.emplace(identity_->public_key);
  if (Peer* self = peer_by_key(identity_->public_key)) remove_peer(self->id);
  for (auto& [id, peer] : peers_) {
    expire_sessions(*peer);
    rebuild_handshake(*peer);
  }
}

void Device::rebuild_handshake(Peer& peer) {
  release_handshake_index(peer);
  if (!identity_) return;
  wg::Key psk;
  psk.bytes = peer.preshared_key.bytes;
  auto fresh = wg::Handshake::create(*identity_, peer.public_key, psk);
  if (fresh && peer.handshake) fresh->inherit_replay_state(*peer.handshake);
  peer.handshake = std::move(fresh);  // nullopt for a low-order key: the peer never handshakes
}

void Device::release_handshake_index(Peer& peer) {
  if (peer.handshake_index == 0) return;
  auto entry = indices_.lookup(peer.handshake_index);
  if (entry && entry->peer == peer.id && entry->kind == IndexEntry::Kind::kHandshake)
    indices_.release(peer.handshake_index);
  peer.handshake_index = 0;
}

void Device::clear_sessions(Peer& peer) {
  for (wg::Keypair* kp : {peer.keypairs.previous(), peer.keypairs.current(), peer.keypairs.next()})
    if (kp != nullptr) indices_.release(kp->local_index());
  peer.keypairs.clear();
  release_handshake_index(peer);
  if (peer.handshake) peer.handshake->clear();
}

void Device::expire_sessions(Peer& peer) {
  clear_sessions(peer);
  // As wireguard-go's ExpireCurrentKeypairs: the next packet may start a
  // handshake at once instead of waiting out REKEY_TIMEOUT.
  peer.timers.stop();
  peer.timers = wg::PeerTimers(jitter());
}

void Device::install_session(Peer& peer, wg::SessionKeys keys, Instant now) {
  uint32_t before[3] = {};
  int i = 0;
  for (wg::Keypair* kp : {peer.keypairs.previous(), peer.keypairs.current(), peer.keypairs.next()})
    before[i++] = kp != nullptr ? kp->local_index() : 0;
  uint32_t index = keys.local_index;
  peer.keypairs.install(std::make_unique<wg::Keypair>(std::move(keys), now));
  indices_.rebind(index, {peer.id, IndexEntry::Kind::kKeypair});
  // Release the index of every session the rotation dropped.
  for (uint32_t old : before) {
    if (old == 0 || old == index || peer.keypairs.find(old) != nullptr) continue;
    indices_.release(old);
  }
  peer.timers.session_derived(now);
}

void Device::handshake_complete(Peer& peer, Instant now) {
  peer.timers.handshake_complete(now);
  WallTime t = wall_();
  peer.last_handshake_sec = t.sec;
  peer.last_handshake_nsec = t.nsec;
  ++peer.handshakes_completed;
  ++counters_.handshakes_completed;
}

void Device::note_time(Instant now) {
  if (!last_now_ || now > *last_now_) last_now_ = now;
}

// ---------------------------------------------------------------- send

bool Device::seal_into(Peer& peer, uint8_t* buffer, size_t length, Instant now, size_t& datagram_size) {
  wg::Keypair* kp = peer.keypairs.current();
  if (kp == nullptr) return false;
  size_t pad = wg::padding_size(length, options_.mtu);
  std::memset(buffer + kPacketHeadroom + length, 0, pad);
  auto n = kp->seal(std::span<const uint8_t>(buffer + kPacketHeadroom, length + pad), now, buffer);
  if (!n) return false;  // expired or worn out: the caller stages and rehandshakes
  datagram_size = *n;
  peer.authenticated_traversal(now);
  peer.timers.any_authenticated_packet_sent(now);
  if (length > 0) peer.timers.data_sent(now);
  if (peer.timers.should_rekey_on_send(kp, now)) send_initiation(peer, now, false);
  return true;
}

std::optional<wg::PeerId> Device::lookup_owner(LookupMemo& memo, std::span<const uint8_t> address) const {
  if (address.empty()) return allowed_ips_.lookup(address);
  if (memo.size == address.size() && std::memcmp(memo.address.data(), address.data(), address.size()) == 0)
    return memo.owner;
  memo.owner = allowed_ips_.lookup(address);
  memo.size = address.size();
  std::memcpy(memo.address.data(), address.data(), address.size());
  return memo.owner;
}

void Device::send_packets(std::span<OutboundPacket> packets, Instant now) {
  note_time(now);
  send_memo_.size = 0;
  for (OutboundPacket& op : packets) {
    if (op.length == 0 || op.length > kMaxIpPacket ||
        op.buffer.size() < kPacketHeadroom + op.length + kPacketTailroom) {
      ++counters_.malformed;
      continue;
    }
    std::span<const uint8_t> packet(op.buffer.data() + kPacketHeadroom, op.length);
    std::span<const uint8_t> destination = ip_address(packet, false);
    if (destination.empty()) {
      ++counters_.malformed;
      continue;
    }
    auto owner = lookup_owner(send_memo_, destination);
    Peer* peer = owner ? peer_by_id(*owner) : nullptr;
    if (peer == nullptr) {
      ++counters_.no_route;
      continue;
    }
    if (!policy_.admit_outbound(packet, now)) {
      ++counters_.policy_outbound;
      continue;
    }
    if (!peer->staged.empty()) flush_staged(*peer, now);
    size_t size = 0;
    if (peer->staged.empty() && peer->endpoint && seal_into(*peer, op.buffer.data(), op.length, now, size)) {
      if (peer->batch.empty()) batch_peers_.push_back(peer);
      peer->batch.emplace_back(op.buffer.data(), size);
      continue;
    }
    stage(*peer, packet, now);
  }
  flush_batches();
}

void Device::send_packet(std::span<const uint8_t> ip_packet, Instant now) {
  if (ip_packet.empty() || ip_packet.size() > kMaxIpPacket) {
    ++counters_.malformed;
    return;
  }
  std::memcpy(scratch_->packet.data() + kPacketHeadroom, ip_packet.data(), ip_packet.size());
  OutboundPacket op{scratch_->packet, ip_packet.size()};
  send_packets(std::span<OutboundPacket>(&op, 1), now);
}

void Device::flush_batches() {
  for (Peer* peer : batch_peers_) {
    for (auto d : peer->batch) peer->tx_bytes += d.size();
    output_.send_datagrams(*peer->endpoint, peer->batch);
    peer->batch.clear();
  }
  batch_peers_.clear();
}

void Device::stage(Peer& peer, std::span<const uint8_t> ip_packet, Instant now) {
  if (peer.staged.size() >= options_.staged_per_peer) {
    peer.staged.pop_front();
    ++counters_.staged_overflow;
  }
  if (options_.staged_per_peer > 0) {
    std::vector<uint8_t> buffer(kPacketHeadroom + ip_packet.size() + kPacketTailroom);
    std::memcpy(buffer.data() + kPacketHeadroom, ip_packet.data(), ip_packet.size());
    peer.staged.push_back(std::move(buffer));
  } else {
    ++counters_.staged_overflow;
  }
  send_initiation(peer, now, false);
}

void Device::flush_staged(Peer& peer, Instant now) {
  if (peer.staged.empty() || !peer.endpoint) return;
  std::vector<std::span<const uint8_t>> sealed;
  size_t done = 0;
  for (std::vector<uint8_t>& buffer : peer.staged) {
    size_t size = 0;
    if (!seal_into(peer, buffer.data(), buffer.size() - kPacketHeadroom - kPacketTailroom, now, size)) break;
    sealed.emplace_back(buffer.data(), size);
    peer.tx_bytes += size;
    ++done;
  }
  if (!sealed.empty()) output_.send_datagrams(*peer.endpoint, sealed);
  peer.staged.erase(peer.staged.begin(), peer.staged.begin() + long(done));
  if (!peer.staged.empty()) send_initiation(peer, now, false);
}

void Device::send_keepalive(Peer& peer, Instant now) {
  if (!peer.staged.empty()) {
    flush_staged(peer, now);  // data carries the liveness a keepalive would
    return;
  }
  size_t size = 0;
  if (peer.endpoint && seal_into(peer, scratch_->keepalive.data(), 0, now, size)) {
    send_to_peer(peer, std::span<const uint8_t>(scratch_->keepalive.data(), size));
    return;
  }
  send_initiation(peer, now, false);  // no session: a keepalive starts one
}

void Device::send_initiation(Peer& peer, Instant now, bool is_retry) {
  if (!identity_ || !peer.handshake) return;
  if (!peer.timers.begin_initiation(now, is_retry)) return;
  peer.authenticated_traversal(now);
  release_handshake_index(peer);
  peer.handshake_index = indices_.allocate({peer.id, IndexEntry::Kind::kHandshake});
  WallTime t = wall_();
  auto m = peer.handshake->create_initiation(peer.handshake_index, wg::tai64n_from_unix(t.sec, uint32_t(t.nsec)),
                                             rng_);
  if (!m) {
    release_handshake_index(peer);
    return;
  }
  auto bytes = wg::encode(*m);
  peer.cookie_generator.add_macs(bytes, now);
  send_to_peer(peer, bytes);
}

void Device::send_to_peer(Peer& peer, std::span<const uint8_t> datagram) {
  if (!peer.endpoint) {
    ++counters_.no_endpoint;
    return;
  }
  peer.tx_bytes += datagram.size();
  output_.send_datagrams(*peer.endpoint, std::span<const std::span<const uint8_t>>(&datagram, 1));
}

// ---------------------------------------------------------------- receive

void Device::receive_datagrams(std::span<InboundDatagram> datagrams, Instant now) {
  note_time(now);
  receive_memo_.size = 0;
  for (InboundDatagram& d : datagrams) receive_one(d.from, d.data, now);
  if (!deliveries_.empty()) {
    output_.deliver_packets(deliveries_);
    deliveries_.clear();
  }
}

void Device::receive_datagram(const Endpoint& from, std::span<uint8_t> datagram, Instant now) {
  InboundDatagram d{from, datagram};
  receive_datagrams(std::span<InboundDatagram>(&d, 1), now);
}

void Device::receive_one(const Endpoint& from, std::span<uint8_t> datagram, Instant now) {
  auto type = wg::classify(datagram);
  if (!type) {
    ++counters_.malformed;
    return;
  }
  switch (*type) {
    case wg::MessageType::kInitiation:
    case wg::MessageType::kResponse:
      // mac1 here, before the queue and long before any DH.
      if (!cookie_checker_ || !cookie_checker_->check_mac1(datagram)) {
        ++counters_.bad_mac1;
        return;
      }
      if (!handshake_queue_.push(from, datagram)) ++counters_.handshake_queue_full;
      return;
    case wg::MessageType::kCookieReply:
      receive_cookie_reply(datagram, now);
      return;
    case wg::MessageType::kTransport:
      receive_transport(from, datagram, now);
      return;
  }
}

void Device::receive_cookie_reply(std::span<const uint8_t> datagram, Instant now) {
  auto reply = wg::decode_cookie_reply(datagram);
  auto entry = reply ? indices_.lookup(reply->receiver) : std::nullopt;
  Peer* peer = entry ? peer_by_id(entry->peer) : nullptr;
  if (peer == nullptr || !peer->cookie_generator.consume_reply(*reply, now)) ++counters_.handshake_rejected;
}

void Device::receive_transport(const Endpoint& from, std::span<uint8_t> datagram, Instant now) {
  auto header = wg::decode_transport_header(datagram);
  auto entry = header ? indices_.lookup(header->receiver) : std::nullopt;
  Peer* peer = entry && entry->kind == IndexEntry::Kind::kKeypair ? peer_by_id(entry->peer) : nullptr;
  wg::Keypair* kp = peer != nullptr ? peer->keypairs.find(header->receiver) : nullptr;
  if (kp == nullptr || kp->expired(now)) {
    ++counters_.no_keypair;
    return;
  }
  uint8_t* plaintext = datagram.data() + wg::kTransportHeaderSize;  // decrypted in place
  auto n = kp->open(datagram, now, plaintext);
  if (!n) {
    ++counters_.auth_failed;
    return;
  }
  // Authenticated: only now may the packet move the endpoint (roaming).
  peer->rx_bytes += datagram.size();
  peer->endpoint = from;
  if (peer->keypairs.confirm(kp)) {
    handshake_complete(*peer, now);
    flush_staged(*peer, now);
  }
  peer->timers.any_authenticated_packet_received(now);
  peer->authenticated_traversal(now);
  if (peer->timers.should_rekey_on_receive(peer->keypairs.current(), now)) send_initiation(*peer, now, false);
  if (*n == 0) return;  // keepalive
  peer->timers.data_received(now);

  std::span<const uint8_t> payload(plaintext, *n);
  size_t length = inner_packet_length(payload);
  if (length == 0) {
    ++counters_.bad_inner_packet;
    return;
  }
  std::span<const uint8_t> packet = payload.first(length);
  auto owner = lookup_owner(receive_memo_, ip_address(packet, true));
  if (!owner || *owner != peer->id) {
    ++counters_.cryptokey_mismatch;
    return;
  }
  if (!policy_.admit_inbound(packet, now)) {
    ++counters_.policy_inbound;
    return;
  }
  deliveries_.push_back(packet);
}

// ---------------------------------------------------------------- handshakes

size_t Device::process_handshakes(Instant now, size_t budget) {
  note_time(now);
  // A message answered without DH (a cookie reply, a rate-limited or
  // keyless drop) costs a few microseconds against a DH's ~40-150: count
  // it as a fraction of one, so a flood is shed quickly without letting
  // one call run unboundedly long.
  constexpr size_t kCheapPerDh = 32;
  const size_t limit = budget > SIZE_MAX / kCheapPerDh ? SIZE_MAX : budget * kCheapPerDh;
  size_t work = 0, done = 0;
  while (work < limit && handshakes_ready()) {
    // Judge the load with this message still counted, as the queue was
    // when it waited, and with the initiations out at the offload.
    bool under_load = load_.under_load(handshake_queue_.size() + in_flight_, now);
    const QueuedHandshake& message = handshake_queue_.front();
    ++done;
    work += 1;
    if (!cookie_checker_) {
      ++counters_.handshake_rejected;
      handshake_queue_.pop();
      continue;
    }
    if (under_load) {
      uint8_t source[18];
      std::span<const uint8_t> src(source, cookie_source(message.from, source));
      if (!cookie_checker_->check_mac2(message.message(), src, now)) {
        auto reply = cookie_checker_->make_reply(message.message(), src, now, rng_);
        if (reply) queue_cookie_reply(message.from, wg::encode(*reply));
        handshake_queue_.pop();
        continue;
      }
      if (!rate_limiter_.allow(std::span<const uint8_t>(message.from.address.data(),
                                                        address_size(message.from.family)),
                               now)) {
        ++counters_.rate_limited;
        handshake_queue_.pop();
        continue;
      }
    }
    if (offload_ && message.size == wg::kInitiationSize) {
      offload_initiation(message);  // a copy and a queue push: cheap here
      handshake_queue_.pop();
      continue;
    }
    work += kCheapPerDh - 1;
    // A copy: answering may send, and the slot is reused once popped.
    QueuedHandshake copy = message;
    handshake_queue_.pop();
    if (copy.size == wg::kInitiationSize) process_initiation(copy, now);
    else process_response(copy, now);
  }
  flush_cookie_replies();
  return done;
}

void Device::queue_cookie_reply(const Endpoint& to, const std::array<uint8_t, wg::kCookieReplySize>& reply) {
  if (cookie_replies_.size() == cookie_replies_.capacity()) flush_cookie_replies();
  cookie_replies_.push_back({to, reply});
  ++counters_.cookie_replies;
}

void Device::flush_cookie_replies() {
  // Consecutive replies to one endpoint (a flood from one socket) leave in
  // one call, so the I/O layer sends them with one syscall.
  std::span<const PendingCookieReply> rest(cookie_replies_);
  while (!rest.empty()) {
    size_t run = 1;
    while (run < rest.size() && rest[run].to == rest[0].to) ++run;
    reply_views_.clear();
    for (size_t i = 0; i < run; ++i) reply_views_.emplace_back(rest[i].bytes);
    output_.send_datagrams(rest[0].to, reply_views_);
    rest = rest.subspan(run);
  }
  cookie_replies_.clear();
}

bool Device::handshakes_ready() const {
  if (handshake_queue_.empty()) return false;
  return !offload_ || handshake_queue_.front().size != wg::kInitiationSize ||
         in_flight_ < options_.offload_in_flight;
}

void Device::set_handshake_offload(HandshakeOffload* offload) {
  offload_ = offload;
  // Results of jobs given to a previous offload no longer count.
  ++identity_generation_;
  offload_since_ = identity_generation_;
  in_flight_ = 0;
}

std::shared_ptr<const KnownPeers> Device::known_peers() {
  if (!known_peers_) {
    auto keys = std::make_shared<KnownPeers>();
    keys->reserve(peer_ids_.size());
    for (const auto& [key, id] : peer_ids_) keys->push_back(key);  // a std::map: sorted
    known_peers_ = std::move(keys);
  }
  return known_peers_;
}

void Device::offload_initiation(const QueuedHandshake& message) {
  auto m = wg::decode_initiation(message.message());
  if (!m || !identity_) {
    ++counters_.handshake_rejected;
    return;
  }
  InitiationJob job;
  job.generation = identity_generation_;
  job.identity = identity_;
  job.known = known_peers();
  job.from = message.from;
  job.message = *m;
  ++in_flight_;
  offload_->submit(std::move(job));
}

void Device::complete_initiations(std::span<InitiationResult> results, Instant now) {
  note_time(now);
  for (InitiationResult& r : results) {
    if (r.generation >= offload_since_ && in_flight_ > 0) --in_flight_;  // the current offload's
    if (r.generation != identity_generation_) {
      ++counters_.handshake_rejected;  // the key (or the offload) changed meanwhile
      continue;
    }
    if (!r.prepared) {
      ++counters_.handshake_rejected;
      continue;
    }
    answer_initiation(r.from, r.prepared->opened, &*r.prepared, now);
  }
}

void Device::process_initiation(const QueuedHandshake& message, Instant now) {
  // One DH to open; the response's three only once the sender is known
  // and its timestamp fresh.
  auto m = wg::decode_initiation(message.message());
  auto opened = m && identity_ ? wg::open_initiation(*identity_, *m) : std::nullopt;
  if (!opened) {
    ++counters_.handshake_rejected;
    return;
  }
  answer_initiation(message.from, *opened, nullptr, now);
}

void Device::answer_initiation(const Endpoint& from, const wg::OpenedInitiation& opened,
                               const wg::PreparedInitiation* prepared, Instant now) {
  Peer* peer = peer_by_key(opened.remote_static);
  if (peer == nullptr || !peer->handshake || !peer->handshake->accept_initiation(opened, now)) {
    ++counters_.handshake_rejected;
    return;
  }
  // Our own pending initiation, if any, is superseded (handshake race).
  release_handshake_index(*peer);
  peer->rx_bytes += wg::kInitiationSize;
  peer->endpoint = from;
  peer->timers.any_authenticated_packet_received(now);
  peer->authenticated_traversal(now);

  uint32_t index = indices_.allocate({peer->id, IndexEntry::Kind::kHandshake});
  auto response = prepared ? peer->handshake->create_response(index, *prepared)
                           : peer->handshake->create_response(index, rng_);
  auto keys = response ? peer->handshake->derive_session() : std::nullopt;
  if (!keys) {
    indices_.release(index);
    ++counters_.handshake_rejected;
    return;
  }
  auto bytes = wg::encode(*response);
  peer->cookie_generator.add_macs(bytes, now);
  install_session(*peer, std::move(*keys), now);
  send_to_peer(*peer, bytes);
  peer->timers.any_authenticated_packet_sent(now);
}

void Device::process_response(const QueuedHandshake& message, Instant now) {
  auto m = wg::decode_response(message.message());
  auto entry = m ? indices_.lookup(m->receiver) : std::nullopt;
  Peer* peer = entry && entry->kind == IndexEntry::Kind::kHandshake ? peer_by_id(entry->peer) : nullptr;
  if (peer == nullptr || peer->handshake_index != m->receiver || !peer->handshake ||
      !peer->handshake->consume_response(*m)) {
    ++counters_.handshake_rejected;
    return;
  }
  auto keys = peer->handshake->derive_session();
  if (!keys) {
    ++counters_.handshake_rejected;
    return;
  }
  peer->handshake_index = 0;  // the index now names the session
  peer->rx_bytes += message.size;
  peer->endpoint = message.from;
  peer->timers.any_authenticated_packet_received(now);
  peer->authenticated_traversal(now);
  install_session(*peer, std::move(*keys), now);
  handshake_complete(*peer, now);
  // Staged data confirms the session to the responder; else a keepalive does.
  send_keepalive(*peer, now);
}

// ---------------------------------------------------------------- timers

void Device::tick(Instant now) {
  note_time(now);
  for (auto& [id, peer] : peers_) run_timers(*peer, now);
}

void Device::run_timers(Peer& peer, Instant now) {
  for (wg::TimerAction action : peer.timers.advance(now)) {
    switch (action) {
      case wg::TimerAction::kSendInitiation:
        send_initiation(peer, now, false);
        break;
      case wg::TimerAction::kRetransmitInitiation:
        send_initiation(peer, now, true);
        break;
      case wg::TimerAction::kGiveUp:
        counters_.staged_expired += peer.staged.size();
        peer.staged.clear();
        break;
      case wg::TimerAction::kSendKeepalive:
        send_keepalive(peer, now);
        break;
      case wg::TimerAction::kZeroKeyMaterial:
        clear_sessions(peer);
        counters_.staged_expired += peer.staged.size();
        peer.staged.clear();
        break;
    }
  }
  if (peer.persistent_deadline && *peer.persistent_deadline <= now) {
    peer.persistent_deadline.reset();
    send_keepalive(peer, now);
  }
}

std::optional<Instant> Device::next_deadline() const {
  std::optional<Instant> best;
  for (const auto& [id, peer] : peers_) {
    auto t = peer->next_deadline();
    if (t && (!best || *t < *best)) best = t;
  }
  return best;
}

}  // namespace aclc::runtime
