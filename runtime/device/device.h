// A multi-peer WireGuard device as pure logic: the protocol core (runtime/wg)
// wired into peers, cryptokey routing and the node's packet policy. It owns
// no sockets, threads or clock. The daemon's event loop feeds it datagrams
// from UDP and packets from TUN, calls tick() when next_deadline() is due,
// and the device hands its output to a DeviceOutput sink.
//
// Data path (no allocation per packet once warmed up):
//   send_packets(): each packet sits in a caller buffer with kPacketHeadroom
//     bytes before it and kPacketTailroom after it; it is padded and
//     encrypted in place and the resulting datagrams go to the sink grouped
//     per endpoint, one send_datagrams() call per peer per batch, in order.
//     Consecutive datagrams of one call have equal size except when the
//     inner packets differ, so the I/O layer can use sendmmsg or UDP GSO.
//   receive_datagrams(): transport messages are decrypted in place; the
//     admitted packets go to the sink in one deliver_packets() call per
//     batch, in order. Handshake messages are copied into a bounded queue
//     and answered only by process_handshakes(), so the loop can serve data
//     first and a handshake flood cannot starve the data path (the queue's
//     length is what the under-load detector sees). With an offload set,
//     initiations' DHs run elsewhere and complete_initiations() commits
//     them (handshake_offload.h).
//
// Receive path (runtime/README.md): classify; type 1/2: mac1 before any DH,
// under load mac2 or a cookie reply, then the per-source rate limiter;
// type 4: receiver index -> session -> open (tag, then replay window) ->
// key confirmation -> inner packet well formed -> cryptokey check (the
// inner source's allowed-IPs owner is this peer) -> PacketPolicy -> host.
// A peer's endpoint moves only after an authenticated packet (roaming).
// Empty transport payloads are keepalives and are never delivered.
//
// Send path: destination -> allowed IPs -> peer (none: drop) ->
// PacketPolicy -> seal with the current session; without a usable session
// the packet is staged (at most DeviceOptions::staged_per_peer per peer,
// oldest dropped) and a handshake starts; staged packets leave as soon as a
// session exists.
//
// Handshake races: when both sides initiate at once, each answers the
// other and its own initiation is superseded; the retransmission timers'
// jitter separates the next attempts, so a session forms within one
// REKEY_TIMEOUT.
//
// Thread safety: none; one thread drives a Device (an offload's threads
// see only their jobs). The sink must not call
// back into the device. Spans handed to the sink live only for that call.
#ifndef ACLC_RUNTIME_DEVICE_DEVICE_H_
#define ACLC_RUNTIME_DEVICE_DEVICE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "runtime/device/config.h"
#include "runtime/device/handshake_offload.h"
#include "runtime/device/handshake_queue.h"
#include "runtime/device/packet_policy.h"
#include "runtime/device/peer.h"
#include "runtime/io/buffers.h"
#include "runtime/wg/allowedips.h"
#include "runtime/wg/cookie.h"
#include "runtime/wg/index_table.h"
#include "runtime/wg/limits.h"
#include "runtime/wg/load_detector.h"
#include "runtime/wg/messages.h"
#include "runtime/wg/noise.h"
#include "runtime/wg/ratelimiter.h"

namespace aclc::runtime {

// Room the device needs around an outbound packet to encrypt it in place:
// the 16-byte transport header before it; up to 15 bytes of padding and
// the 16-byte tag after it. The values are io's (runtime/io/buffers.h), so
// a packet the TUN reader yields is always one the device can seal.
inline constexpr size_t kPacketHeadroom = io::kHeadroom;
inline constexpr size_t kPacketTailroom = io::kTailroom;

// An outbound IP packet in a caller-owned buffer: the packet is
// buffer[kPacketHeadroom, kPacketHeadroom + length). The buffer must hold
// kPacketTailroom more bytes past the packet (else the packet is dropped as
// malformed). The device overwrites the buffer with the datagram.
struct OutboundPacket {
  std::span<uint8_t> buffer;
  size_t length = 0;
};

// A datagram read from UDP. It is decrypted in place: after
// receive_datagrams() its bytes are unspecified.
struct InboundDatagram {
  Endpoint from;
  std::span<uint8_t> data;
};

// Where the device's output goes; implemented by the daemon over its
// sockets and TUN (or by tests over a fake network).
class DeviceOutput {
 public:
  virtual ~DeviceOutput() = default;
  // Datagrams for one endpoint, in send order.
  virtual void send_datagrams(const Endpoint& to, std::span<const std::span<const uint8_t>> datagrams) = 0;
  // Decrypted, admitted IP packets for the host, in arrival order.
  virtual void deliver_packets(std::span<const std::span<const uint8_t>> packets) = 0;
};

// Wall-clock time (Unix epoch), for TAI64N stamps and last-handshake times.
struct WallTime {
  int64_t sec = 0;
  int64_t nsec = 0;
};
using WallClock = std::function<WallTime()>;
WallTime system_wall_clock();

struct DeviceOptions {
  size_t mtu = 1420;                 // the TUN's MTU: padding never passes it
  size_t handshake_queue = 1024;     // pending handshake messages; more are dropped
  size_t load_threshold = wg::LoadDetector::kDefaultThreshold;  // queue length that demands cookies
  size_t staged_per_peer = 128;      // packets held per peer while no session exists
  size_t offload_in_flight = 64;     // initiations out at the offload at once (set_handshake_offload)
};

// Device-wide drop and event counters (monotonic).
struct DeviceCounters {
  uint64_t malformed = 0;            // not a well-formed WireGuard message, or an unusable buffer
  uint64_t bad_mac1 = 0;             // handshake message without a valid mac1
  uint64_t handshake_queue_full = 0; // handshake message dropped: queue full
  uint64_t cookie_replies = 0;       // cookie replies sent under load
  uint64_t rate_limited = 0;         // handshake message over its source's rate
  uint64_t handshake_rejected = 0;   // unknown peer/index, failed to open, replayed, flooding
  uint64_t no_keypair = 0;           // transport message for no live session
  uint64_t auth_failed = 0;          // transport message forged, replayed or expired
  uint64_t bad_inner_packet = 0;     // decrypted payload not a well-formed IPv4/IPv6 packet
  uint64_t cryptokey_mismatch = 0;   // inner source not in the sending peer's allowed IPs
  uint64_t policy_inbound = 0;       // PacketPolicy refused a decrypted packet
  uint64_t no_route = 0;             // outbound destination in no peer's allowed IPs
  uint64_t policy_outbound = 0;      // PacketPolicy refused an outbound packet
  uint64_t staged_overflow = 0;      // staged packet dropped to make room
  uint64_t staged_expired = 0;       // staged packets dropped when handshake attempts gave up
  uint64_t no_endpoint = 0;          // message for a peer with no known endpoint
  uint64_t handshakes_completed = 0;
};

// What the device knows about a peer beyond the UAPI's PeerStatus
// (for logs and tests).
struct PeerRuntime {
  bool has_session = false;              // a current (confirmed) session exists; it may have expired
  std::optional<wg::Instant> session_created;
  uint64_t handshakes_completed = 0;
  size_t staged = 0;
  int handshake_attempts = 0;
};

class Device : public ConfigTarget {
 public:
  // Initialises libsodium (throws std::runtime_error if it cannot).
  Device(DeviceOutput& output, PacketPolicy& policy, wg::RandomSource rng = wg::system_random,
         WallClock wall = system_wall_clock, DeviceOptions options = {});
  ~Device() override;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // UAPI `set` (all or nothing; 0 or -EINVAL). A new private key re-derives
  // every peer's handshake state, clears every session and removes a peer
  // whose public key equals the new one; an all-zero key removes the key.
  // Peer sections follow wireguard-go: remove, update_only,
  // replace_allowed_ips, then allowed IPs (moving a prefix from another
  // peer). A peer with the device's own public key is ignored. listen_port
  // and fwmark are stored and reported only: sockets are the daemon's.
  // Turning persistent keepalive on schedules a keepalive at once: call
  // next_deadline() again after apply().
  int apply(const DeviceConfig& config) override;
  // UAPI `get`: peers in the order they were added.
  DeviceStatus status() const override;

  // Outbound packets from the host (see OutboundPacket).
  void send_packets(std::span<OutboundPacket> packets, wg::Instant now);
  // One outbound packet, copied into the device's scratch buffer.
  void send_packet(std::span<const uint8_t> ip_packet, wg::Instant now);

  // Datagrams from the network, decrypted in place.
  void receive_datagrams(std::span<InboundDatagram> datagrams, wg::Instant now);
  void receive_datagram(const Endpoint& from, std::span<uint8_t> datagram, wg::Instant now);

  // Answers queued handshake messages, oldest first, until `budget` of
  // them needed DH or the queue is empty. Messages answered without DH
  // (cookie replies under load, rate-limited ones) count 1/32 each, so a
  // flood is shed in large slices while one call stays short. Cookie
  // replies leave batched per endpoint before it returns. Returns how many
  // messages were taken off the queue.
  size_t process_handshakes(wg::Instant now, size_t budget = SIZE_MAX);
  size_t pending_handshakes() const { return handshake_queue_.size(); }
  // Whether process_handshakes() can take a message now: the queue is not
  // empty and, with an offload, the oldest message is not an initiation
  // waiting for room there.
  bool handshakes_ready() const;

  // Initiations' DHs go to `offload` from now on (nullptr: done in
  // process_handshakes() again; results still out are then refused).
  // The offload must outlive the device or be detached first.
  void set_handshake_offload(HandshakeOffload* offload);
  // The offload's results, in any order: each is checked and answered as
  // process_handshakes() answers an initiation itself.
  void complete_initiations(std::span<InitiationResult> results, wg::Instant now);
  size_t offloaded_in_flight() const { return in_flight_; }

  // Runs every peer's timers due at or before now (retransmissions,
  // keepalives, new handshakes, key wipes).
  void tick(wg::Instant now);
  // When tick() must run next; nullopt if no timer is armed.
  std::optional<wg::Instant> next_deadline() const;

  const DeviceCounters& counters() const { return counters_; }
  std::optional<PeerRuntime> peer_runtime(const Key32& public_key) const;
  // The device's public key, if it has a private key.
  std::optional<Key32> public_key() const;

 private:
  struct Scratch;

  Peer* peer_by_id(wg::PeerId id);
  Peer* peer_by_key(const Key32& key);
  void remove_peer(wg::PeerId id);
  void set_private_key(const wg::Secret<32>& key);
  void rebuild_handshake(Peer& peer);
  void clear_sessions(Peer& peer);
  void expire_sessions(Peer& peer);  // after a key change: sessions and timers reset
  wg::PeerTimers::Jitter jitter();
  void install_session(Peer& peer, wg::SessionKeys keys, wg::Instant now);
  void release_handshake_index(Peer& peer);
  void handshake_complete(Peer& peer, wg::Instant now);

  // Outbound.
  bool seal_into(Peer& peer, uint8_t* buffer, size_t length, wg::Instant now, size_t& datagram_size);
  void stage(Peer& peer, std::span<const uint8_t> ip_packet, wg::Instant now);
  void flush_staged(Peer& peer, wg::Instant now);
  void send_keepalive(Peer& peer, wg::Instant now);
  void send_initiation(Peer& peer, wg::Instant now, bool is_retry);
  void send_to_peer(Peer& peer, std::span<const uint8_t> datagram);
  void flush_batches();

  // Inbound.
  void receive_one(const Endpoint& from, std::span<uint8_t> datagram, wg::Instant now);
  void receive_transport(const Endpoint& from, std::span<uint8_t> datagram, wg::Instant now);
  void receive_cookie_reply(std::span<const uint8_t> datagram, wg::Instant now);
  void queue_cookie_reply(const Endpoint& to, const std::array<uint8_t, wg::kCookieReplySize>& reply);
  void flush_cookie_replies();
  void process_initiation(const QueuedHandshake& message, wg::Instant now);
  void offload_initiation(const QueuedHandshake& message);
  // prepared: the offload's DHs for this initiation; nullptr: done here.
  void answer_initiation(const Endpoint& from, const wg::OpenedInitiation& opened,
                         const wg::PreparedInitiation* prepared, wg::Instant now);
  std::shared_ptr<const KnownPeers> known_peers();
  void process_response(const QueuedHandshake& message, wg::Instant now);

  void run_timers(Peer& peer, wg::Instant now);
  void note_time(wg::Instant now);

  // Allowed-IPs lookups memoised for one batch: the segments of a TSO
  // super-packet (or a GRO run) share their addresses, so one trie walk
  // serves them all. Valid only within one send_packets() or
  // receive_datagrams() call (the configuration cannot change inside one).
  struct LookupMemo {
    size_t size = 0;  // 0: empty
    std::array<uint8_t, 16> address{};
    std::optional<wg::PeerId> owner;
  };
  std::optional<wg::PeerId> lookup_owner(LookupMemo& memo, std::span<const uint8_t> address) const;

  DeviceOutput& output_;
  PacketPolicy& policy_;
  wg::RandomSource rng_;
  WallClock wall_;
  DeviceOptions options_;

  // Immutable once made; shared with the offload's jobs, so a key change
  // replaces it rather than changing it.
  std::shared_ptr<const wg::LocalIdentity> identity_;
  std::optional<wg::CookieChecker> cookie_checker_;
  uint16_t listen_port_ = 0;
  uint32_t fwmark_ = 0;

  std::map<wg::PeerId, std::unique_ptr<Peer>> peers_;  // ids grow: map order = order added
  std::map<Key32, wg::PeerId> peer_ids_;
  wg::PeerId next_peer_id_ = 1;
  wg::AllowedIps allowed_ips_;
  wg::IndexTable indices_;

  HandshakeQueue handshake_queue_;
  HandshakeOffload* offload_ = nullptr;
  size_t in_flight_ = 0;                 // jobs at the offload
  uint64_t identity_generation_ = 1;     // bumped by every key change and offload change
  uint64_t offload_since_ = 1;           // jobs of generations from here are the current offload's
  std::shared_ptr<const KnownPeers> known_peers_;              // for jobs; reset when peers change
  wg::LoadDetector load_;
  wg::RateLimiter rate_limiter_;

  // Cookie replies of one process_handshakes() call, sent at its end.
  struct PendingCookieReply {
    Endpoint to;
    std::array<uint8_t, wg::kCookieReplySize> bytes;
  };
  static constexpr size_t kCookieReplyBatch = 256;
  std::vector<PendingCookieReply> cookie_replies_;
  std::vector<std::span<const uint8_t>> reply_views_;

  LookupMemo send_memo_, receive_memo_;
  std::vector<Peer*> batch_peers_;                       // peers with datagrams pending this batch
  std::vector<std::span<const uint8_t>> deliveries_;     // packets for the host this batch
  std::unique_ptr<Scratch> scratch_;
  std::optional<wg::Instant> last_now_;
  DeviceCounters counters_;
};

}  // namespace aclc::runtime

#endif  // ACLC_RUNTIME_DEVICE_DEVICE_H_
