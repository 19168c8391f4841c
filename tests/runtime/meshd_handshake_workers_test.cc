// meshd's handshake threads: every job comes back once, computed as
// run_initiation_job computes it; notify_fd() is readable exactly while
// results wait; stopping with jobs queued joins cleanly.
#include <doctest/doctest.h>
#include <poll.h>

#include <chrono>
#include <thread>

#include "runtime/meshd/handshake_workers.h"
#include "runtime/wg/cookie.h"

namespace aclc::meshd {
namespace {

using runtime::InitiationJob;
using runtime::InitiationResult;

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

struct Fixture {
  wg::LocalIdentity responder = wg::LocalIdentity::from_private(wg::generate_private_key(wg::system_random));
  wg::LocalIdentity initiator = wg::LocalIdentity::from_private(wg::generate_private_key(wg::system_random));
  std::shared_ptr<const wg::LocalIdentity> shared = std::make_shared<const wg::LocalIdentity>(responder);

  InitiationJob job(uint64_t generation, bool genuine) {
    InitiationJob j;
    j.generation = generation;
    j.identity = shared;
    j.from.family = 4;
    j.from.port = uint16_t(1000 + generation);
    auto hs = wg::Handshake::create(initiator, responder.public_key, wg::Key{});
    REQUIRE(hs);
    auto m = hs->create_initiation(uint32_t(generation), wg::Tai64n{}, wg::system_random);
    REQUIRE(m);
    if (!genuine) m->encrypted_static[0] ^= 1;
    j.message = *m;
    return j;
  }
};

TEST_CASE("handshake workers: every job comes back once, with its DHs done") {
  Fixture f;
  std::string error;
  auto workers = HandshakeWorkers::start(2, error);
  REQUIRE_MESSAGE(workers, error);
  CHECK(workers->threads() == 2);
  CHECK_FALSE(readable(workers->notify_fd(), 0));

  constexpr uint64_t kJobs = 40;
  for (uint64_t g = 1; g <= kJobs; ++g) workers->submit(f.job(g, g % 5 != 0));
  std::vector<InitiationResult> all, batch;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (all.size() < kJobs && std::chrono::steady_clock::now() < end) {
    if (!readable(workers->notify_fd(), 1000)) continue;
    workers->take(batch);
    for (auto& r : batch) all.push_back(std::move(r));
  }
  REQUIRE(all.size() == kJobs);
  std::vector<bool> seen(kJobs + 1, false);
  for (const InitiationResult& r : all) {
    REQUIRE(r.generation >= 1);
    REQUIRE(r.generation <= kJobs);
    CHECK_FALSE(seen[r.generation]);
    seen[r.generation] = true;
    CHECK(r.from.port == 1000 + r.generation);
    const bool genuine = r.generation % 5 != 0;
    REQUIRE(bool(r.prepared) == genuine);
    if (genuine) {
      CHECK(r.prepared->opened.remote_static == f.initiator.public_key);
      CHECK(r.prepared->response_ephemeral_public == wg::public_key_of(r.prepared->response_ephemeral));
      CHECK_FALSE(r.prepared->ephemeral_ephemeral.is_zero());
    }
  }
  // Nothing left: the notification is consumed with the results.
  CHECK_FALSE(readable(workers->notify_fd(), 50));
  workers->take(batch);
  CHECK(batch.empty());
}

TEST_CASE("handshake workers: stopping with jobs still queued joins the threads") {
  Fixture f;
  std::string error;
  auto workers = HandshakeWorkers::start(1, error);
  REQUIRE(workers);
  for (uint64_t g = 1; g <= 200; ++g) workers->submit(f.job(g, true));
  // Fails by hanging (ctest's timeout) or, under ASan, by a leak or a
  // use after free of a job the threads still held.
  workers.reset();
}

TEST_CASE("handshake workers: the default is one thread per CPU, at most 8") {
  const size_t n = default_handshake_workers();
  CHECK(n >= 1);
  CHECK(n <= 8);
  const unsigned cpus = std::thread::hardware_concurrency();
  if (cpus >= 1 && cpus <= 8) CHECK(n == cpus);
}

}  // namespace
}  // namespace aclc::meshd
