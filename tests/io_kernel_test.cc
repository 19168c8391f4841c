// runtime/io against the real kernel. The whole process moves into a fresh
// network namespace (gone when it exits), so nothing leaks into the host.
//
// TUN: the kernel's TCP stack talks to a peer at 10.77.0.2 that this test
// plays by hand through the TUN: a connect, a 512 KiB write (the kernel hands
// over TSO super-packets, which Tun::read segments; every segment is checked
// independently), then data the other way written as one coalesced
// super-packet that the kernel's socket must receive byte for byte. UDP goes
// both ways too, with USO when the kernel offers it.
//
// UDP: 1,000 datagrams from one UdpSocket to another over loopback via
// UDP_SEGMENT, received via UDP_GRO, every byte checked; the datagrams per
// syscall are printed.
//
// Needs root (CTest label "kernel").
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "runtime/io/tun.h"
#include "runtime/io/udp.h"
#include "tests/runtime/io_packets.h"

using namespace aclc::runtime;
using namespace aclc::runtime::io;
using namespace io_test;

namespace {

using Clock = std::chrono::steady_clock;

void set_ipv4(const std::string& dev, const char* addr, const char* mask) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(s >= 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, addr, &sin->sin_addr);
  REQUIRE(ioctl(s, SIOCSIFADDR, &ifr) == 0);
  inet_pton(AF_INET, mask, &sin->sin_addr);
  REQUIRE(ioctl(s, SIOCSIFNETMASK, &ifr) == 0);
  close(s);
}

// in6_ifreq from linux/ipv6.h, which clashes with glibc's netinet/in.h.
struct In6Ifreq {
  in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

void set_ipv6(const std::string& dev, const char* addr, uint32_t prefixlen) {
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  REQUIRE(s >= 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  REQUIRE(ioctl(s, SIOCGIFINDEX, &ifr) == 0);
  In6Ifreq req{};
  inet_pton(AF_INET6, addr, &req.addr);
  req.prefixlen = prefixlen;
  req.ifindex = ifr.ifr_ifindex;
  REQUIRE(ioctl(s, SIOCSIFADDR, &req) == 0);
  close(s);
  // Even without DAD the address is tentative until the kernel's addrconf
  // work runs; it is usable once a socket can bind to it.
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_addr = req.addr;
  bool ready = false;
  for (auto deadline = Clock::now() + std::chrono::seconds(3); !ready && Clock::now() < deadline;) {
    int probe = socket(AF_INET6, SOCK_DGRAM, 0);
    ready = bind(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    close(probe);
    if (!ready) usleep(10000);
  }
  REQUIRE(ready);
}

// Addresses are usable at once: no duplicate address detection (there is
// no one on the other side of the TUN to answer it).
bool disable_dad() {
  FILE* f = std::fopen("/proc/sys/net/ipv6/conf/default/accept_dad", "w");
  if (!f) return false;
  bool ok = std::fputs("0", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// Called from main(), before doctest runs: no assertions here.
bool bring_up(const char* dev) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
  bool ok = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
  if (s >= 0) close(s);
  return ok;
}

bool wait_readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

constexpr uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08;

// The peer's view of one TCP connection it plays by hand.
struct Peer {
  Tcp out;           // template of what the peer sends (seq = its next byte)
  uint32_t rcv_next = 0;
  uint16_t next_id = 1;
  Bytes ack_packet() {
    Tcp t = out;
    t.ack = rcv_next;
    t.id = next_id++;
    return tcp_packet(t, {});
  }
};

// Writes one packet to the TUN; the kernel must take it.
void write_one(Tun& tun, const Bytes& p) {
  std::span<const uint8_t> s(p);
  REQUIRE(tun.write(std::span<const std::span<const uint8_t>>(&s, 1)) == 1);
}

// Whether p is an IPv4/IPv6 TCP or UDP packet; every packet the reader
// yields must be a valid IP packet within the MTU with valid checksums.
bool check_packet(const Tun& tun, std::span<const uint8_t> p, uint8_t* proto) {
  REQUIRE(p.size() >= 20);
  REQUIRE(p.size() <= tun.mtu());
  if ((p[0] >> 4) == 4) {
    CHECK(get16(&p[2]) == p.size());
    CHECK(ipv4_header_ok(p));
    *proto = p[9];
  } else {
    REQUIRE((p[0] >> 4) == 6);
    REQUIRE(p.size() >= 40);
    CHECK(get16(&p[4]) + 40u == p.size());
    *proto = p[6];  // router solicitations and MLD (ICMPv6) are not ours
  }
  if (*proto != 6 && *proto != 17) return false;
  CHECK(l4_verify(p) == 0xffff);
  return true;
}

// The kernel's TCP connects to the peer address (10.77.0.2 or fd77::2) on
// port 5000; the test answers through the TUN as that peer. 512 KiB from
// the kernel must arrive through Tun::read as TSO super-packets cut into
// valid segments; 40 segments back are written as one coalesced
// super-packet and must reach the kernel's socket intact.
void tcp_through_tun(Tun& tun, int version) {
  const size_t l4 = version == 4 ? 20 : 40;
  PacketBatch batch(tun.mtu());
  Peer peer;
  peer.out.version = version;
  if (version == 4) {
    peer.out.src = {10, 77, 0, 2};
    peer.out.dst = {10, 77, 0, 1};
  } else {
    peer.out.src = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    peer.out.dst = {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  }
  peer.out.sport = 5000;
  peer.out.seq = 0x7000;
  peer.out.window = 0xffff;

  sockaddr_storage to{};
  socklen_t to_len;
  if (version == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&to);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(5000);
    std::memcpy(&sin->sin_addr, peer.out.src.data(), 4);
    to_len = sizeof *sin;
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(5000);
    std::memcpy(&sin6->sin6_addr, peer.out.src.data(), 16);
    to_len = sizeof *sin6;
  }
  int s = socket(version == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
  REQUIRE(s >= 0);
  // Bound to the TUN's address: right after it is added, source address
  // selection could still pick the IPv6 link-local one.
  sockaddr_storage local = to;
  if (version == 4) {
    std::memcpy(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr, peer.out.dst.data(), 4);
    reinterpret_cast<sockaddr_in*>(&local)->sin_port = 0;
  } else {
    std::memcpy(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr, peer.out.dst.data(), 16);
    reinterpret_cast<sockaddr_in6*>(&local)->sin6_port = 0;
  }
  REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&local), to_len) == 0);
  REQUIRE((connect(s, reinterpret_cast<sockaddr*>(&to), to_len) == 0 || errno == EINPROGRESS));

  // Answer every SYN (retransmissions too: a new IPv6 address becomes
  // locally routable a moment after it is added) until the socket connects.
  Tcp synack = peer.out;
  synack.flags = kSyn | kAck;
  synack.options = {2, 4, 0x05, 0x50, 1, 3, 3, 7};  // MSS 1360 (fits v4 and v6), NOP, window scale 7
  bool connected = false;
  for (auto deadline = Clock::now() + std::chrono::seconds(8); !connected && Clock::now() < deadline;) {
    wait_readable(tun.fd(), 100);
    batch.clear();
    REQUIRE(tun.read(batch) >= 0);
    for (size_t i = 0; i < batch.size(); i++) {
      auto p = batch.packet(i);
      uint8_t proto;
      if (!check_packet(tun, p, &proto) || proto != 6 || size_t(p[0] >> 4) != size_t(version)) continue;
      if (p[l4 + 13] != kSyn) continue;
      synack.dport = peer.out.dport = get16(&p[l4]);
      synack.ack = peer.rcv_next = get32(&p[l4 + 4]) + 1;
      synack.id = peer.next_id++;
      write_one(tun, tcp_packet(synack, {}));
    }
    pollfd pw{s, POLLOUT, 0};
    connected = poll(&pw, 1, 0) == 1;
  }
  INFO("IPv", version);
  REQUIRE(connected);
  peer.out.seq++;
  int soerr = 0;
  socklen_t slen = sizeof soerr;
  getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &slen);
  REQUIRE(soerr == 0);

  // The kernel sends 512 KiB; the peer acknowledges what arrives in order.
  const TunStats at_start = tun.stats();
  const Bytes sent = payload_bytes(512 * 1024, 3);
  Bytes received;
  size_t written = 0;
  for (auto deadline = Clock::now() + std::chrono::seconds(15);
       received.size() < sent.size() && Clock::now() < deadline;) {
    while (written < sent.size()) {
      ssize_t n = send(s, sent.data() + written, sent.size() - written, 0);
      if (n <= 0) break;
      written += size_t(n);
    }
    if (!tun.pending()) wait_readable(tun.fd(), 100);
    batch.clear();
    REQUIRE(tun.read(batch) >= 0);
    bool advanced = false;
    for (size_t i = 0; i < batch.size(); i++) {
      auto p = batch.packet(i);
      uint8_t proto;
      if (!check_packet(tun, p, &proto) || proto != 6) continue;
      size_t hlen = l4 + size_t(p[l4 + 12] >> 4) * 4;
      if (get32(&p[l4 + 4]) != peer.rcv_next || p.size() == hlen) continue;  // retransmit or pure ACK
      CHECK(p.size() - hlen <= 1360);
      received.insert(received.end(), p.begin() + long(hlen), p.end());
      peer.rcv_next += uint32_t(p.size() - hlen);
      advanced = true;
    }
    if (advanced) write_one(tun, peer.ack_packet());
  }
  CHECK(received.size() == sent.size());
  CHECK(received == sent);
  const TunStats& st = tun.stats();
  std::printf("io_kernel: TCP/IPv%d 512 KiB in %llu reads, %llu super-packets, %llu segments\n", version,
              (unsigned long long)(st.reads - at_start.reads),
              (unsigned long long)(st.super_packets - at_start.super_packets),
              (unsigned long long)(st.packets_read - at_start.packets_read));
  CHECK(st.super_packets > at_start.super_packets);  // TSO happened: the TUN has the offload

  // TCP back: 40 segments written as one coalesced super-packet.
  const size_t mss = 1360, count = 40;
  const Bytes back = payload_bytes(mss * count, 9);
  std::vector<Bytes> segs;
  for (size_t i = 0; i < count; i++) {
    Tcp t = peer.out;
    t.ack = peer.rcv_next;
    t.id = peer.next_id++;
    if (i + 1 == count) t.flags = kAck | kPsh;
    segs.push_back(tcp_packet(t, std::span<const uint8_t>(back).subspan(i * mss, mss)));
    peer.out.seq += uint32_t(mss);
  }
  std::vector<std::span<const uint8_t>> spans(segs.begin(), segs.end());
  const TunStats before = tun.stats();
  REQUIRE(tun.write(spans) == ssize_t(count));
  CHECK(tun.stats().writes - before.writes == 1);
  CHECK(tun.stats().coalesced - before.coalesced == count);
  Bytes got;
  for (auto deadline = Clock::now() + std::chrono::seconds(5);
       got.size() < back.size() && Clock::now() < deadline;) {
    uint8_t buf[65536];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n > 0) got.insert(got.end(), buf, buf + n);
    else wait_readable(s, 100);
  }
  CHECK(got == back);
  close(s);
}

}  // namespace

TEST_CASE("io kernel: TUN with offload carries real TCP and UDP both ways") {
  std::string error;
  TunOptions opt;
  opt.name = "iot0";
  opt.mtu = 1420;
  auto tun = Tun::open(opt, &error);
  REQUIRE_MESSAGE(tun, error);
  REQUIRE(tun->vnet_hdr());
  std::printf("io_kernel: TUN %s mtu %u vnet_hdr %d uso %d\n", tun->name().c_str(), tun->mtu(),
              tun->vnet_hdr(), tun->uso());
  set_ipv4(tun->name(), "10.77.0.1", "255.255.255.0");

  set_ipv6(tun->name(), "fd77::1", 64);

  tcp_through_tun(*tun, 4);
  tcp_through_tun(*tun, 6);

  PacketBatch batch(tun->mtu());
  sockaddr_in to{};
  to.sin_family = AF_INET;
  inet_pton(AF_INET, "10.77.0.2", &to.sin_addr);


  // --- UDP out: one GSO send of 10 x 1000 bytes (USO on the TUN if offered) --
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(u >= 0);
  sockaddr_in uaddr{};
  uaddr.sin_family = AF_INET;
  uaddr.sin_port = htons(6001);
  inet_pton(AF_INET, "10.77.0.1", &uaddr.sin_addr);
  REQUIRE(bind(u, reinterpret_cast<sockaddr*>(&uaddr), sizeof uaddr) == 0);
  const Bytes udp_payload = payload_bytes(10 * 1000, 5);
  int seg = 1000;
  REQUIRE(setsockopt(u, SOL_UDP, UDP_SEGMENT, &seg, sizeof seg) == 0);
  to.sin_port = htons(6000);
  REQUIRE(sendto(u, udp_payload.data(), udp_payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          ssize_t(udp_payload.size()));
  Bytes udp_got;
  size_t datagrams = 0;
  for (auto deadline = Clock::now() + std::chrono::seconds(5);
       udp_got.size() < udp_payload.size() && Clock::now() < deadline;) {
    if (!tun->pending()) wait_readable(tun->fd(), 100);
    batch.clear();
    REQUIRE(tun->read(batch) >= 0);
    for (size_t i = 0; i < batch.size(); i++) {
      auto p = batch.packet(i);
      uint8_t proto;
      if (!check_packet(*tun, p, &proto) || proto != 17 || get16(&p[22]) != 6000) continue;
      CHECK(p.size() == 20 + 8 + 1000);
      udp_got.insert(udp_got.end(), p.begin() + 28, p.end());
      datagrams++;
    }
  }
  CHECK(datagrams == 10);
  CHECK(udp_got == udp_payload);

  // --- UDP in: a datagram written to the TUN reaches the socket ---------------
  const Bytes in_payload = payload_bytes(777, 11);
  Bytes dgram = udp_packet(4, 6000, 6001, in_payload);
  std::copy_n(std::begin({10, 77, 0, 2}), 4, dgram.begin() + 12);
  std::copy_n(std::begin({10, 77, 0, 1}), 4, dgram.begin() + 16);
  fix_ipv4_header(dgram);
  fix_l4_checksum(dgram);
  write_one(*tun, dgram);
  REQUIRE(wait_readable(u, 5000));
  uint8_t buf[2000];
  CHECK(recv(u, buf, sizeof buf, 0) == ssize_t(in_payload.size()));
  CHECK(Bytes(buf, buf + in_payload.size()) == in_payload);
  close(u);
}

TEST_CASE("io kernel: TUN without vnet header: one packet per read and write") {
  std::string error;
  TunOptions opt;
  opt.name = "iot1";
  opt.offload = false;
  auto tun = Tun::open(opt, &error);
  REQUIRE_MESSAGE(tun, error);
  CHECK(!tun->vnet_hdr());
  set_ipv4(tun->name(), "10.78.0.1", "255.255.255.0");
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(7000);
  inet_pton(AF_INET, "10.78.0.2", &to.sin_addr);
  const Bytes payload = payload_bytes(1200, 2);
  for (int i = 0; i < 3; i++)
    REQUIRE(sendto(u, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == 1200);
  PacketBatch batch(tun->mtu());
  size_t seen = 0;
  for (auto deadline = Clock::now() + std::chrono::seconds(5); seen < 3 && Clock::now() < deadline;) {
    wait_readable(tun->fd(), 100);
    batch.clear();
    REQUIRE(tun->read(batch) >= 0);
    for (size_t i = 0; i < batch.size(); i++) {
      auto p = batch.packet(i);
      if ((p[0] >> 4) != 4 || p[9] != 17) continue;
      CHECK(p.size() == 1228);
      CHECK(l4_verify(p) == 0xffff);
      CHECK(Bytes(p.begin() + 28, p.end()) == payload);
      seen++;
    }
  }
  CHECK(seen == 3);
  close(u);
  // Refusals are counted, not fatal: an empty packet.
  std::span<const uint8_t> empty;
  CHECK(tun->write(std::span<const std::span<const uint8_t>>(&empty, 1)) == 0);
}

TEST_CASE("io kernel: 1,000 datagrams over loopback through UDP GSO and GRO") {
  std::string error;
  UdpOptions opt;
  auto a = UdpSocket::open(opt, &error);
  REQUIRE_MESSAGE(a, error);
  auto b = UdpSocket::open(opt, &error);
  REQUIRE_MESSAGE(b, error);
  REQUIRE(a->port() != 0);
  CHECK(a->family() == AF_INET6);  // dual stack
  REQUIRE(a->gso());
  REQUIRE(b->gro());
  // The same port again is refused with EADDRINUSE.
  int err = 0;
  UdpOptions same;
  same.port = b->port();
  CHECK(!UdpSocket::open(same, &error, &err));
  CHECK(err == EADDRINUSE);

  // 1,000 datagrams, mostly 1452 bytes with a short one every 100 (ends a
  // GSO run), alternating 127.0.0.1 and ::1 per 250.
  const size_t n = 1000;
  std::vector<Bytes> payloads;
  std::vector<OutDatagram> out;
  for (size_t i = 0; i < n; i++) {
    size_t len = i % 100 == 99 ? 200 : 1452;
    Bytes d = payload_bytes(len, uint8_t(i));
    put16(d.data(), uint16_t(i));
    payloads.push_back(std::move(d));
  }
  for (size_t i = 0; i < n; i++) {
    Endpoint to;
    if ((i / 250) % 2 == 0) {
      to.family = 4;
      to.address = {127, 0, 0, 1};
    } else {
      to.family = 6;
      to.address[15] = 1;
    }
    to.port = b->port();
    out.push_back({to, payloads[i]});
  }
  size_t sent = 0;
  for (size_t i = 0; i < n; i += 128) {
    size_t k = std::min<size_t>(128, n - i);
    sent += a->send(std::span<const OutDatagram>(out).subspan(i, k));
  }
  CHECK(sent == n);

  DatagramBatch batch;
  std::vector<bool> seen(n, false);
  size_t got = 0;
  for (auto deadline = Clock::now() + std::chrono::seconds(5); got < n && Clock::now() < deadline;) {
    ssize_t r = b->receive(batch);
    REQUIRE(r >= 0);
    if (r == 0) {
      wait_readable(b->fd(), 100);
      continue;
    }
    for (size_t i = 0; i < batch.size(); i++) {
      Datagram& d = batch[i];
      REQUIRE(d.data.size() >= 2);
      size_t idx = get16(d.data.data());
      REQUIRE(idx < n);
      CHECK(!seen[idx]);
      seen[idx] = true;
      got++;
      CHECK(Bytes(d.data.begin(), d.data.end()) == payloads[idx]);
      CHECK(d.from.port == a->port());
      CHECK(d.from.family == out[idx].to.family);  // answered from the address it was sent to
    }
  }
  CHECK(got == n);
  const UdpStats& sa = a->stats();
  const UdpStats& sb = b->stats();
  std::printf("io_kernel: UDP %zu datagrams: send %.1f datagrams/syscall (%llu sendmmsg, %llu messages), "
              "receive %.1f datagrams/syscall (%llu recvmmsg, %llu messages)\n",
              n, double(sa.datagrams_sent) / double(sa.send_calls), (unsigned long long)sa.send_calls,
              (unsigned long long)sa.messages_sent, double(sb.datagrams_received) / double(sb.receive_calls),
              (unsigned long long)sb.receive_calls, (unsigned long long)sb.messages_received);
  CHECK(sa.messages_sent < sa.datagrams_sent);      // GSO runs went out
  CHECK(sb.messages_received < sb.datagrams_received);  // GRO buffers were split

  // fwmark: settable as root and reported.
  CHECK(a->set_fwmark(0x51820) == 0);
  CHECK(a->fwmark() == 0x51820);
}

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "io_kernel_test: needs root (a network namespace and a TUN)\n");
    return 1;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("io_kernel_test: unshare(CLONE_NEWNET)");
    return 1;
  }
  if (!bring_up("lo")) {
    std::perror("io_kernel_test: bring up lo");
    return 1;
  }
  if (!disable_dad()) {
    std::perror("io_kernel_test: net.ipv6.conf.default.accept_dad");
    return 1;
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
