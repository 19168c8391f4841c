// Prints what runtime/io costs on this machine: the checksum's throughput,
// TSO segmentation and TCP coalescing per packet (pure CPU), and UDP over
// loopback in datagrams per second and per syscall, with GSO/GRO and
// without. Needs no root (loopback of the current namespace).
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "runtime/io/checksum.h"
#include "runtime/io/gso_split.h"
#include "runtime/io/tcp_coalesce.h"
#include "runtime/io/udp.h"
#include "tests/runtime/io_packets.h"

using namespace aclc::runtime;
using namespace aclc::runtime::io;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

volatile uint32_t g_sink;

void bench_checksum() {
  for (size_t n : {64, 1420, 65535}) {
    std::vector<uint8_t> buf = io_test::payload_bytes(n);
    size_t iters = (size_t(2) << 30) / n / 4;
    auto t = Clock::now();
    uint32_t acc = 0;
    for (size_t i = 0; i < iters; i++) acc += csum::sum(buf, uint16_t(i));
    g_sink = acc;
    double s = seconds_since(t);
    std::printf("checksum %6zu B: %6.2f GB/s (%.0f ns each)\n", n, double(n) * double(iters) / s / 1e9,
                s / double(iters) * 1e9);
  }
}

void bench_split_and_coalesce() {
  io_test::Tcp t;
  const size_t mss = 1380;
  std::vector<uint8_t> super = io_test::tcp_packet(t, io_test::payload_bytes(47 * mss));
  VnetHdr h;
  h.flags = VnetHdr::kNeedsCsum;
  h.gso_type = VnetHdr::kGsoTcpV4;
  h.gso_size = mss;
  h.csum_start = 20;
  h.csum_offset = 16;
  PacketBatch batch(1420);
  const int iters = 20000;
  auto t0 = Clock::now();
  for (int i = 0; i < iters; i++) {
    batch.clear();
    size_t next = 0;
    split_super_packet(h, super, batch, next);
  }
  double s = seconds_since(t0);
  std::printf("TSO split: 64 KiB into %zu segments: %.2f us, %.0f ns/segment\n", batch.size(),
              s / iters * 1e6, s / iters / double(batch.size()) * 1e9);

  std::vector<std::span<const uint8_t>> spans;
  for (size_t i = 0; i < batch.size(); i++) spans.push_back(batch.packet(i));
  std::vector<TunWrite> plan;
  uint8_t header[kMaxSuperHeader];
  t0 = Clock::now();
  size_t hsum = 0;
  for (int i = 0; i < iters; i++) {
    plan_tun_writes(spans, plan);
    for (auto w : plan)
      if (w.count > 1) hsum += build_super_header(std::span(spans).subspan(w.first, w.count), header);
  }
  g_sink = uint32_t(hsum);
  s = seconds_since(t0);
  std::printf("TCP coalesce: %zu segments into %zu writes: %.2f us, %.0f ns/segment\n", spans.size(),
              plan.size(), s / iters * 1e6, s / iters / double(spans.size()) * 1e9);
}

void bench_udp(bool offload) {
  std::string error;
  UdpOptions opt;
  opt.offload = offload;
  auto a = UdpSocket::open(opt, &error);
  auto b = UdpSocket::open(opt, &error);
  if (!a || !b) {
    std::printf("udp: %s\n", error.c_str());
    return;
  }
  std::vector<uint8_t> payload = io_test::payload_bytes(1452);
  Endpoint to;
  to.address = {127, 0, 0, 1};
  to.port = b->port();
  std::vector<OutDatagram> out(128, OutDatagram{to, payload});
  DatagramBatch batch;
  const size_t total = 200000;
  size_t sent = 0, received = 0;
  auto t0 = Clock::now();
  while (received < total && seconds_since(t0) < 10) {
    // Keep at most ~1 MB in flight so the receiver's buffer never overflows.
    if (sent - received < 700 && sent < total) sent += a->send(out);
    ssize_t n = b->receive(batch);
    if (n > 0) received += size_t(n);
    else if (sent >= total) {
      pollfd p{b->fd(), POLLIN, 0};
      if (poll(&p, 1, 100) == 0) break;  // the rest was dropped
    }
  }
  double s = seconds_since(t0);
  const UdpStats& sa = a->stats();
  const UdpStats& sb = b->stats();
  std::printf("UDP loopback %s: %zu of %zu datagrams in %.2f s: %.0f k datagrams/s (%.2f Gbit/s), "
              "%.1f datagrams per sendmmsg, %.1f per recvmmsg\n",
              offload ? "GSO/GRO" : "plain  ", received, sent, s, double(received) / s / 1e3,
              double(received) * 1452 * 8 / s / 1e9, double(sa.datagrams_sent) / double(sa.send_calls),
              double(sb.datagrams_received) / double(sb.receive_calls));
}

}  // namespace

int main() {
  bench_checksum();
  bench_split_and_coalesce();
  bench_udp(false);
  bench_udp(true);
}
