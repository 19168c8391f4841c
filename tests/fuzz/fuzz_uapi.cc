// Fuzzes meshd's UAPI text protocol (runtime/uapi), which parses whatever a
// local client writes to the socket. Beyond "never crash, hang or read out
// of bounds" it checks:
//  - a set request that parses survives format_set and parses to the same
//    config (nothing lost or invented between text and DeviceConfig);
//  - endpoint and prefix texts that parse are printed canonically and
//    parse back to the same value;
//  - a Session fed the input in pieces consumes it all or stops only with a
//    reply waiting or the connection finished, and every reply is whole
//    (ends with the blank line) and ends in "errno=N".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/uapi/endpoint_text.h"
#include "runtime/uapi/protocol.h"
#include "runtime/uapi/session.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace aclc::runtime;
using namespace aclc::runtime::uapi;

bool same_config(const DeviceConfig& a, const DeviceConfig& b) {
  auto same_secret = [](const auto& x, const auto& y) {
    return x.has_value() == y.has_value() && (!x || x->bytes == y->bytes);
  };
  if (!same_secret(a.private_key, b.private_key) || a.listen_port != b.listen_port ||
      a.fwmark != b.fwmark || a.replace_peers != b.replace_peers || a.peers.size() != b.peers.size())
    return false;
  for (size_t i = 0; i < a.peers.size(); ++i) {
    const PeerConfig& p = a.peers[i];
    const PeerConfig& q = b.peers[i];
    if (p.public_key != q.public_key || p.remove != q.remove || p.update_only != q.update_only ||
        !same_secret(p.preshared_key, q.preshared_key) || p.endpoint != q.endpoint ||
        p.persistent_keepalive != q.persistent_keepalive ||
        p.replace_allowed_ips != q.replace_allowed_ips || p.add_allowed_ips != q.add_allowed_ips ||
        p.remove_allowed_ips != q.remove_allowed_ips)
      return false;
  }
  return true;
}

// Answers like a device: a fixed status, and -EADDRINUSE for port 53.
class Target : public ConfigTarget {
 public:
  int apply(const DeviceConfig& config) override {
    return config.listen_port && *config.listen_port == 53 ? -98 : 0;
  }
  DeviceStatus status() const override {
    DeviceStatus s;
    s.listen_port = 51820;
    PeerStatus& p = s.peers.emplace_back();
    p.public_key.fill(0x42);
    p.endpoint = parse_endpoint("[fd00::1]:51820");
    p.allowed_ips.push_back(*parse_allowed_ip("10.0.0.0/8"));
    return s;
  }
};

void check_reply(std::string_view reply) {
  FUZZ_CHECK(reply.size() >= 9 && reply.substr(reply.size() - 2) == "\n\n", "reply not whole");
  const size_t errno_at = reply.rfind("errno=");
  FUZZ_CHECK(errno_at != std::string_view::npos && (errno_at == 0 || reply[errno_at - 1] == '\n'),
             "reply without errno line");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The set parser and its round trip.
  const SetResult parsed = parse_set(input);
  FUZZ_CHECK(parsed.error <= 0, "positive errno %d", parsed.error);
  if (parsed.error == 0) {
    const std::string text = format_set(parsed.config);
    const SetResult again = parse_set(text);
    FUZZ_CHECK(again.error == 0, "format_set output refused: %s", again.detail.c_str());
    FUZZ_CHECK(same_config(parsed.config, again.config), "config changed across format_set");
  } else {
    FUZZ_CHECK(!parsed.detail.empty(), "error %d without a detail", parsed.error);
  }

  // Endpoint and prefix text, on the first line.
  const std::string_view first = input.substr(0, input.find('\n'));
  if (const auto ep = parse_endpoint(first)) {
    const auto back = parse_endpoint(format_endpoint(*ep));
    FUZZ_CHECK(back && *back == *ep, "endpoint round trip");
  }
  if (const auto prefix = parse_allowed_ip(first)) {
    const auto back = parse_allowed_ip(format_allowed_ip(*prefix));
    FUZZ_CHECK(back && *back == *prefix, "prefix round trip");
  }

  // A connection fed the bytes in pieces whose size the first byte picks.
  Target target;
  Session session(target);
  const size_t piece = size > 0 ? 1 + data[0] % 64 : 1;
  std::string_view rest = input;
  while (!rest.empty() && !session.finished()) {
    const std::string_view chunk = rest.substr(0, piece);
    const size_t used = session.receive(chunk);
    FUZZ_CHECK(used <= chunk.size(), "consumed more than given");
    const std::string_view out = session.output();
    if (!out.empty()) {
      check_reply(out);
      session.sent(out.size());
    } else {
      FUZZ_CHECK(used == chunk.size() || session.finished(), "stalled without a reply");
    }
    rest.remove_prefix(used);
  }
  return 0;
}
