// UDP GSO grouping and GRO splitting (runtime/io/udp_gso), Endpoint <->
// sockaddr (runtime/io/sockaddr) and the packet batch (runtime/io/buffers).
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <cstring>

#include "runtime/io/buffers.h"
#include "runtime/io/sockaddr.h"
#include "runtime/io/udp_gso.h"

using namespace aclc::runtime;
using namespace aclc::runtime::io;

namespace {

Endpoint ep4(uint8_t last, uint16_t port) {
  Endpoint e;
  e.family = 4;
  e.address = {127, 0, 0, last};
  e.port = port;
  return e;
}

struct Plan {
  std::vector<std::vector<uint8_t>> storage;
  std::vector<OutDatagram> dgrams;
  void add(Endpoint to, size_t n) {
    storage.emplace_back(n, uint8_t(storage.size()));
    dgrams.push_back({to, {}});
  }
  std::vector<std::pair<size_t, size_t>> runs(size_t max = kMaxGsoSegments) {
    for (size_t i = 0; i < dgrams.size(); i++) dgrams[i].data = storage[i];
    std::vector<GsoRun> out;
    plan_gso_runs(dgrams, out, max);
    std::vector<std::pair<size_t, size_t>> r;
    for (auto x : out) {
      if (x.count > 1) CHECK(x.segment_size == dgrams[x.first].data.size());
      r.push_back({x.count, x.segment_size});
    }
    return r;
  }
};

using Runs = std::vector<std::pair<size_t, size_t>>;

}  // namespace

TEST_CASE("io udp gso: equal datagrams to one endpoint form one run; the last may be shorter") {
  Plan p;
  for (int i = 0; i < 10; i++) p.add(ep4(1, 51820), 1452);
  p.add(ep4(1, 51820), 100);
  p.add(ep4(1, 51820), 1452);
  CHECK(p.runs() == Runs{{11, 1452}, {1, 1452}});
}

TEST_CASE("io udp gso: endpoint changes, larger datagrams and empty ones split runs") {
  Plan p;
  p.add(ep4(1, 1), 500);
  p.add(ep4(1, 1), 500);
  p.add(ep4(2, 1), 500);  // other address
  p.add(ep4(2, 2), 500);  // other port
  p.add(ep4(2, 2), 600);  // larger
  p.add(ep4(2, 2), 0);    // empty: alone
  p.add(ep4(2, 2), 32);
  Endpoint v6 = ep4(2, 2);
  v6.family = 6;  // same bytes, other family
  p.add(v6, 32);
  CHECK(p.runs() == Runs{{2, 500}, {1, 500}, {1, 500}, {1, 600}, {1, 0}, {1, 32}, {1, 32}});
}

TEST_CASE("io udp gso: the segment and byte limits, and GSO off") {
  Plan p;
  for (int i = 0; i < 130; i++) p.add(ep4(1, 1), 148);
  CHECK(p.runs() == Runs{{64, 148}, {64, 148}, {2, 148}});
  CHECK(p.runs(1).size() == 130);

  Plan big;  // 43 * 1500 = 64500 fits 65507; 44 do not (IPv4)
  for (int i = 0; i < 50; i++) big.add(ep4(1, 1), 1500);
  CHECK(big.runs() == Runs{{43, 1500}, {7, 1500}});
  Plan big6;  // IPv6 allows 65527 bytes: 8 x 8000 fit, 9 do not
  Endpoint e6 = ep4(1, 1);
  e6.family = 6;
  for (int i = 0; i < 10; i++) big6.add(e6, 8000);
  CHECK(big6.runs() == Runs{{8, 8000}, {2, 8000}});
}

TEST_CASE("io udp gro: segments in a coalesced buffer") {
  CHECK(gro_segment_count(63888, 1452) == 44);
  CHECK(gro_segment_count(63889, 1452) == 45);
  CHECK(gro_segment_count(100, 1452) == 1);
  CHECK(gro_segment_count(100, 0) == 1);
  CHECK(gro_segment_count(0, 0) == 1);
}

TEST_CASE("io sockaddr: IPv4 through a dual-stack socket is a mapped address, and back") {
  Endpoint e = ep4(9, 51820);
  e.address = {192, 0, 2, 7};
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(e, AF_INET6, &ss);
  REQUIRE(len == sizeof(sockaddr_in6));
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  CHECK(IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr));
  CHECK(ntohs(sin6->sin6_port) == 51820);
  auto back = from_sockaddr(ss, len);
  REQUIRE(back);
  CHECK(*back == e);

  len = to_sockaddr(e, AF_INET, &ss);
  REQUIRE(len == sizeof(sockaddr_in));
  CHECK(*from_sockaddr(ss, len) == e);

  Endpoint e6;
  e6.family = 6;
  e6.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  e6.port = 443;
  len = to_sockaddr(e6, AF_INET6, &ss);
  CHECK(*from_sockaddr(ss, len) == e6);
  CHECK(to_sockaddr(e6, AF_INET, &ss) == 0);  // unreachable from IPv4-only
  e6.family = 5;
  CHECK(to_sockaddr(e6, AF_INET6, &ss) == 0);
  CHECK(!from_sockaddr(ss, 2));
}

TEST_CASE("io buffers: slots have headroom and tailroom, capacity and size limits hold") {
  PacketBatch b(1420, 3);
  CHECK(b.push(1421) == nullptr);
  uint8_t* p0 = b.push(1420);
  uint8_t* p1 = b.push(10);
  REQUIRE(p0);
  REQUIRE(p1);
  CHECK(p1 - p0 >= ptrdiff_t(kHeadroom + 1420 + kTailroom));
  // Writing the whole room around packet 0 leaves packet 1 intact.
  std::memset(p1 - kHeadroom, 0xaa, kHeadroom + 10 + kTailroom);
  std::memset(p0 - kHeadroom, 0x55, kHeadroom + 1420 + kTailroom);
  CHECK(p1[-1 * int(kHeadroom)] == 0xaa);
  CHECK(b.push(1));
  CHECK(b.full());
  CHECK(b.push(1) == nullptr);
  b.shrink_last(0);
  CHECK(b.packet(2).empty());
  b.pop_last();
  CHECK(b.size() == 2);
  b.clear();
  CHECK(b.size() == 0);
}
