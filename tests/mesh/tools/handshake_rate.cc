// Handshake responses per second of a WireGuard daemon (dataplane.md §3.1):
// registers PEERS made-up peers on IFACE through `wg addconf`, precomputes
// genuine initiations from them (round robin, so that one peer sends at
// most once per 20 ms; future TAI64N stamps so that each is newer than the
// last), then sends them to 127.0.0.1:PORT keeping at most WINDOW
// unanswered, for at most SECONDS, and prints the rate of handshake
// responses. Run it in the namespace of the daemon's UDP socket. Used by
// bench/bench_meshd.sh; not a test.
//
// usage: aclc-mesh-handshake-rate IFACE PORT [PEERS] [SECONDS] [WINDOW]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/wg/cookie.h"
#include "runtime/wg/messages.h"
#include "runtime/wg/noise.h"
#include "runtime/wg/tai64n.h"
#include "tests/mesh/bundle_kit.h"
#include "tests/mesh/keys.h"
#include "tests/mesh/process.h"

using namespace aclc;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s IFACE PORT [PEERS] [SECONDS] [WINDOW]\n", argv[0]);
    return 2;
  }
  std::string iface = argv[1];
  int port = std::atoi(argv[2]);
  size_t peers = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1000;
  double seconds = argc > 4 ? std::atof(argv[4]) : 4;
  size_t window = argc > 5 ? std::strtoul(argv[5], nullptr, 10) : 64;
  if (port <= 0 || port > 65535 || peers == 0 || seconds <= 0 || window == 0) {
    std::fprintf(stderr, "handshake-rate: bad arguments\n");
    return 2;
  }
  if (sodium_init() < 0) return 1;
  try {
    // The responder's key, and our peers on it.
    std::string b64 = mesh::must("wg show " + mesh::quote(iface) + " public-key");
    while (!b64.empty() && (b64.back() == '\n' || b64.back() == ' ')) b64.pop_back();
    wg::PublicKey responder{};
    size_t len = 0;
    if (sodium_base642bin(responder.data(), responder.size(), b64.c_str(), b64.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || len != 32) {
      std::fprintf(stderr, "handshake-rate: cannot read the public key of %s\n", iface.c_str());
      return 1;
    }
    std::vector<wg::LocalIdentity> ids;
    std::string conf;
    for (size_t i = 0; i < peers; ++i) {
      mesh::KeyPair k = mesh::KeyPair::generate();
      wg::PrivateKey priv;
      std::memcpy(priv.data(), k.private_key.data(), 32);
      ids.push_back(wg::LocalIdentity::from_private(priv));
      conf += "[Peer]\nPublicKey = " + mesh::base64(k.public_key) + "\nAllowedIPs = 10." +
              std::to_string(200 + i / 65536) + "." + std::to_string((i / 256) % 256) + "." + std::to_string(i % 256) +
              "/32\n\n";
    }
    std::string conf_path = "/tmp/handshake-rate-" + std::to_string(getpid()) + ".conf";
    mesh::write_file(conf_path, conf, 0600);
    mesh::CommandResult added = mesh::run("wg addconf " + mesh::quote(iface) + " " + conf_path);
    unlink(conf_path.c_str());
    if (added.status != 0) {
      std::fprintf(stderr, "handshake-rate: wg addconf failed: %s", added.output.c_str());
      return 1;
    }

    // Initiations, precomputed so that our own DH does not compete with the
    // responder's during the measurement.
    size_t rounds = static_cast<size_t>(seconds * 12000 / double(peers)) + 1;
    std::vector<std::array<uint8_t, wg::kInitiationSize>> msgs;
    std::vector<uint32_t> index_of;
    int64_t base = static_cast<int64_t>(std::time(nullptr)) + 1;
    wg::Key psk;
    for (size_t r = 0; r < rounds; ++r) {
      for (size_t i = 0; i < peers; ++i) {
        auto hs = wg::Handshake::create(ids[i], responder, psk);
        if (!hs) return 1;
        uint32_t index = static_cast<uint32_t>(msgs.size() + 1);
        auto init = hs->create_initiation(index, wg::tai64n_from_unix(base + static_cast<int64_t>(r), 0),
                                          wg::system_random);
        if (!init) return 1;
        auto bytes = wg::encode(*init);
        wg::CookieGenerator gen(responder);
        gen.add_macs(bytes, wg::Instant(0));
        msgs.push_back(bytes);
        index_of.push_back(index);
      }
    }

    int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int size = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return 1;

    std::unordered_map<uint32_t, Clock::time_point> outstanding;
    size_t next = 0, responses = 0, cookies = 0, timeouts = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
    uint8_t buf[256];
    while (Clock::now() < end) {
      while (outstanding.size() < window && next < msgs.size()) {
        if (send(s, msgs[next].data(), msgs[next].size(), 0) < 0) break;
        outstanding[index_of[next]] = Clock::now();
        ++next;
      }
      if (next == msgs.size() && outstanding.empty()) break;
      pollfd p{s, POLLIN, 0};
      poll(&p, 1, 5);
      while (true) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n < 12) break;
        uint32_t receiver = 0;
        std::memcpy(&receiver, buf + (buf[0] == 2 ? 8 : 4), 4);  // little-endian host
        if (buf[0] == 2) ++responses;
        if (buf[0] == 3) ++cookies;
        outstanding.erase(receiver);
      }
      // An initiation lost or dropped: give its slot back after a second.
      auto now = Clock::now();
      for (auto it = outstanding.begin(); it != outstanding.end();) {
        if (now - it->second > std::chrono::seconds(1)) {
          it = outstanding.erase(it);
          ++timeouts;
        } else {
          ++it;
        }
      }
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("handshakes/s %.0f (responses %zu, cookie replies %zu, unanswered %zu, sent %zu of %zu in %.2f s, %zu peers, window %zu)\n",
                double(responses) / elapsed, responses, cookies, timeouts, next, msgs.size(), elapsed, peers, window);
    close(s);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "handshake-rate: %s\n", e.what());
    return 1;
  }
}
