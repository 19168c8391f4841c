// The UAPI set/get text (runtime/uapi/protocol.h): every error with the
// errno wireguard-go answers, the bounds, round trips, and a get that
// matches what wireguard-go printed on this machine (dataplane.md §2.1).
#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "runtime/uapi/endpoint_text.h"
#include "runtime/uapi/protocol.h"

using namespace aclc::runtime;
using namespace aclc::runtime::uapi;

namespace {

const std::string kKeyA = "8c3c1bd7ffb3bb1a6b6a04c5ff1b8d2ab2d3d5fae97cdab1c4e4f6e6b69a4e62";
const std::string kKeyB = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
const std::string kKeyC = "0000000000000000000000000000000000000000000000000000000000000001";
const std::string kZero(64, '0');

int error_of(const std::string& body) { return parse_set(body).error; }

Key32 key_of(const std::string& hex) {
  Key32 k{};
  for (size_t i = 0; i < 32; ++i) k[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return k;
}

AllowedIp prefix(const char* text) { return *parse_allowed_ip(text); }

bool same(const DeviceConfig& a, const DeviceConfig& b) {
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

}  // namespace

TEST_CASE("uapi set: every key parsed into DeviceConfig") {
  const SetResult r = parse_set(
      "private_key=" + kKeyA + "\n"
      "listen_port=51820\n"
      "fwmark=4294967295\n"
      "replace_peers=true\n"
      "public_key=" + kKeyB + "\n"
      "update_only=true\n"
      "preshared_key=" + kKeyC + "\n"
      "endpoint=[fd00::1]:51820\n"
      "persistent_keepalive_interval=25\n"
      "replace_allowed_ips=true\n"
      "allowed_ip=10.0.0.0/8\n"
      "allowed_ip=fd00::/64\n"
      "protocol_version=1\n"
      "public_key=" + kKeyC + "\n"
      "endpoint=1.2.3.4:5\n"
      "\n"
      "ignored=after the empty line\n");
  REQUIRE(r.error == 0);
  const DeviceConfig& c = r.config;
  REQUIRE(c.private_key);
  CHECK(c.private_key->bytes == key_of(kKeyA));
  CHECK(c.listen_port == 51820);
  CHECK(c.fwmark == 4294967295u);
  CHECK(c.replace_peers);
  REQUIRE(c.peers.size() == 2);
  const PeerConfig& p = c.peers[0];
  CHECK(p.public_key == key_of(kKeyB));
  CHECK(p.update_only);
  CHECK_FALSE(p.remove);
  REQUIRE(p.preshared_key);
  CHECK(p.preshared_key->bytes == key_of(kKeyC));
  CHECK(p.endpoint == parse_endpoint("[fd00::1]:51820"));
  CHECK(p.persistent_keepalive == 25);
  CHECK(p.replace_allowed_ips);
  CHECK(p.add_allowed_ips == std::vector<AllowedIp>{prefix("10.0.0.0/8"), prefix("fd00::/64")});
  CHECK(p.remove_allowed_ips.empty());
  const PeerConfig& q = c.peers[1];
  CHECK(q.public_key == key_of(kKeyC));
  CHECK(q.endpoint == parse_endpoint("1.2.3.4:5"));
  CHECK_FALSE(q.preshared_key);
  CHECK_FALSE(q.persistent_keepalive);
  CHECK_FALSE(q.replace_allowed_ips);

  // Round trip through format_set.
  const SetResult again = parse_set(format_set(c));
  REQUIRE(again.error == 0);
  CHECK(same(again.config, c));
}

TEST_CASE("uapi set: an empty request and zero keys") {
  const SetResult empty = parse_set("");
  CHECK(empty.error == 0);
  CHECK_FALSE(empty.config.private_key);
  CHECK(empty.config.peers.empty());

  // A zero private key is "remove the key"; a zero PSK is "no PSK": both parse.
  const SetResult r = parse_set("private_key=" + kZero + "\npublic_key=" + kKeyA + "\npreshared_key=" + kZero + "\n");
  REQUIRE(r.error == 0);
  REQUIRE(r.config.private_key);
  CHECK(r.config.private_key->is_zero());
  REQUIRE(r.config.peers[0].preshared_key);
  CHECK(r.config.peers[0].preshared_key->is_zero());

  // Upper-case hex is accepted (Go's hex.DecodeString).
  std::string upper = kKeyA;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const SetResult u = parse_set("public_key=" + upper + "\n");
  REQUIRE(u.error == 0);
  CHECK(u.config.peers[0].public_key == key_of(kKeyA));

  // Go's ParseUint allows leading zeros; the last line for a key wins.
  const SetResult n = parse_set("listen_port=0051820\nlisten_port=7\nfwmark=0\n");
  REQUIRE(n.error == 0);
  CHECK(n.config.listen_port == 7);
  CHECK(n.config.fwmark == 0u);
}

TEST_CASE("uapi set: each bad request answers wireguard-go's errno") {
  const std::string peer = "public_key=" + kKeyA + "\n";
  struct Case {
    std::string body;
    int error;
  };
  const Case cases[] = {
      {"foo=1\n", -EINVAL},  // unknown key (dataplane.md §2.1, measured)
      {"listen_port=abc\n", -EINVAL},  // bad value (measured)
      {"no equals sign\n", -EPROTO},
      {"=1\n", -EINVAL},
      {"Listen_port=1\n", -EINVAL},  // keys are case-sensitive
      {"listen_port=65536\n", -EINVAL},
      {"listen_port=-1\n", -EINVAL},
      {"listen_port=+1\n", -EINVAL},
      {"listen_port=\n", -EINVAL},
      {"listen_port= 1\n", -EINVAL},
      {"listen_port=1\r\n", -EINVAL},
      {"fwmark=4294967296\n", -EINVAL},
      {"fwmark=0x10\n", -EINVAL},
      {"private_key=" + kKeyA.substr(1) + "\n", -EINVAL},  // 63 digits
      {"private_key=" + kKeyA + "0\n", -EINVAL},           // 65 digits
      {"private_key=" + kKeyA.substr(0, 63) + "g\n", -EINVAL},
      {"private_key=\n", -EINVAL},
      {"replace_peers=false\n", -EINVAL},
      {"replace_peers=1\n", -EINVAL},
      {"replace_peers=TRUE\n", -EINVAL},
      // Peer keys before the first public_key line are unknown device keys.
      {"endpoint=1.2.3.4:5\n", -EINVAL},
      {"allowed_ip=10.0.0.0/8\n", -EINVAL},
      {"protocol_version=1\n", -EINVAL},
      {"remove=true\n", -EINVAL},
      // Device keys after it are unknown peer keys.
      {peer + "listen_port=1\n", -EINVAL},
      {peer + "private_key=" + kKeyB + "\n", -EINVAL},
      {peer + "replace_peers=true\n", -EINVAL},
      {"public_key=" + kKeyA.substr(2) + "\n", -EINVAL},
      {"public_key=\n", -EINVAL},
      {peer + "preshared_key=" + kKeyB.substr(1) + "\n", -EINVAL},
      {peer + "protocol_version=2\n", -EINVAL},
      {peer + "protocol_version=01\n", -EINVAL},
      {peer + "remove=false\n", -EINVAL},
      {peer + "update_only=yes\n", -EINVAL},
      {peer + "replace_allowed_ips=TRUE\n", -EINVAL},
      {peer + "persistent_keepalive_interval=65536\n", -EINVAL},
      {peer + "persistent_keepalive_interval=-1\n", -EINVAL},
      {peer + "endpoint=1.2.3.4\n", -EINVAL},
      {peer + "endpoint=[1.2.3.4]:5\n", -EINVAL},
      {peer + "endpoint=::1:5\n", -EINVAL},
      {peer + "endpoint=host.example:51820\n", -EINVAL},
      {peer + "endpoint=\n", -EINVAL},
      {peer + "allowed_ip=10.0.0.0\n", -EINVAL},
      {peer + "allowed_ip=10.0.0.0/33\n", -EINVAL},
      {peer + "allowed_ip=fd00::/129\n", -EINVAL},
      {peer + "allowed_ip=--10.0.0.0/8\n", -EINVAL},
      {peer + "allowed_ip=-\n", -EINVAL},
      {peer + "allowed_ip=\n", -EINVAL},
      {peer + "foo=1\n", -EINVAL},
      // remove=true makes later lines no-ops, but they are still checked.
      {peer + "remove=true\nendpoint=bogus\n", -EINVAL},
  };
  for (const Case& c : cases) {
    const SetResult r = parse_set(c.body);
    CHECK_MESSAGE(r.error == c.error, c.body);
    CHECK_MESSAGE(!r.detail.empty(), c.body);
  }
}

TEST_CASE("uapi set: the first error wins and the detail names its line, never a key") {
  const SetResult r = parse_set("listen_port=1\nfoo=1\nlisten_port=abc\n");
  CHECK(r.error == -EINVAL);
  CHECK(r.detail.find("line 2") == 0);
  CHECK(r.detail.find("foo") != std::string::npos);

  const SetResult k = parse_set("private_key=" + kKeyA.substr(1) + "\n");
  CHECK(k.error == -EINVAL);
  CHECK(k.detail.find(kKeyA.substr(1, 16)) == std::string::npos);
  const SetResult p = parse_set(kKeyA + "\n");  // a key pasted without "key="
  CHECK(p.error == -EPROTO);
  CHECK(p.detail.find(kKeyA.substr(0, 16)) == std::string::npos);
}

TEST_CASE("uapi set: allowed_ip lines keep wireguard-go's order semantics") {
  const std::string peer = "public_key=" + kKeyA + "\n";
  SUBCASE("host bits are masked") {
    const SetResult r = parse_set(peer + "allowed_ip=10.1.2.3/8\n");
    REQUIRE(r.error == 0);
    CHECK(r.config.peers[0].add_allowed_ips == std::vector<AllowedIp>{prefix("10.0.0.0/8")});
  }
  SUBCASE("-PREFIX removes") {
    const SetResult r = parse_set(peer + "allowed_ip=-10.0.0.0/8\nallowed_ip=fd00::/64\n");
    REQUIRE(r.error == 0);
    CHECK(r.config.peers[0].remove_allowed_ips == std::vector<AllowedIp>{prefix("10.0.0.0/8")});
    CHECK(r.config.peers[0].add_allowed_ips == std::vector<AllowedIp>{prefix("fd00::/64")});
  }
  SUBCASE("the last line for a prefix wins; the lists are disjoint") {
    const SetResult r = parse_set(peer +
                                  "allowed_ip=10.0.0.0/8\n"
                                  "allowed_ip=-10.0.0.0/8\n"
                                  "allowed_ip=-10.9.0.0/16\n"
                                  "allowed_ip=10.9.0.0/16\n"
                                  "allowed_ip=10.1.0.0/16\n");
    REQUIRE(r.error == 0);
    CHECK(r.config.peers[0].add_allowed_ips ==
          std::vector<AllowedIp>{prefix("10.9.0.0/16"), prefix("10.1.0.0/16")});
    CHECK(r.config.peers[0].remove_allowed_ips == std::vector<AllowedIp>{prefix("10.0.0.0/8")});
  }
  SUBCASE("replace_allowed_ips drops the section's earlier lines") {
    const SetResult r = parse_set(peer + "allowed_ip=10.0.0.0/8\nallowed_ip=-10.2.0.0/16\nreplace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n");
    REQUIRE(r.error == 0);
    CHECK(r.config.peers[0].replace_allowed_ips);
    CHECK(r.config.peers[0].add_allowed_ips == std::vector<AllowedIp>{prefix("10.1.0.0/16")});
    CHECK(r.config.peers[0].remove_allowed_ips.empty());
  }
  SUBCASE("sections do not mix") {
    const SetResult r = parse_set(peer + "allowed_ip=10.0.0.0/8\npublic_key=" + kKeyB + "\nallowed_ip=-10.0.0.0/8\n");
    REQUIRE(r.error == 0);
    CHECK(r.config.peers[0].add_allowed_ips == std::vector<AllowedIp>{prefix("10.0.0.0/8")});
    CHECK(r.config.peers[1].remove_allowed_ips == std::vector<AllowedIp>{prefix("10.0.0.0/8")});
    CHECK(r.config.peers[1].add_allowed_ips.empty());
  }
  SUBCASE("remove=true leaves a removal only") {
    const SetResult r = parse_set(peer + "endpoint=1.2.3.4:5\nallowed_ip=10.0.0.0/8\nremove=true\npersistent_keepalive_interval=5\nallowed_ip=10.1.0.0/16\n");
    REQUIRE(r.error == 0);
    const PeerConfig& p = r.config.peers[0];
    CHECK(p.remove);
    CHECK_FALSE(p.endpoint);
    CHECK_FALSE(p.persistent_keepalive);
    CHECK(p.add_allowed_ips.empty());
    const SetResult again = parse_set(format_set(r.config));
    REQUIRE(again.error == 0);
    CHECK(same(again.config, r.config));
  }
}

TEST_CASE("uapi set: bounds") {
  SUBCASE("line length") {
    std::string line = "listen_port=";
    line += std::string(kMaxLineBytes - line.size() - 5, '0') + "51820";
    REQUIRE(line.size() == kMaxLineBytes);
    const SetResult ok = parse_set(line + "\n");
    CHECK(ok.error == 0);
    CHECK(ok.config.listen_port == 51820);
    CHECK(error_of("listen_port=0" + line.substr(12) + "\n") == -EINVAL);  // one byte more
    CHECK(error_of(std::string(kMaxLineBytes + 1, 'x') + "\n") == -EPROTO);  // no '=' at all
  }
  SUBCASE("peers") {
    std::string body;
    body.reserve((kMaxSetPeers + 1) * 77);
    char hex[65];
    for (size_t i = 0; i <= kMaxSetPeers; ++i) {
      std::snprintf(hex, sizeof hex, "%064zx", i);
      body += "public_key=";
      body += hex;
      body += '\n';
    }
    CHECK(error_of(body) == -EMSGSIZE);
    body.resize(kMaxSetPeers * 76);  // exactly the limit
    const SetResult r = parse_set(body);
    CHECK(r.error == 0);
    CHECK(r.config.peers.size() == kMaxSetPeers);
  }
  SUBCASE("allowed IPs") {
    SetParser parser;
    parser.add_line("public_key=" + kKeyA);
    for (size_t i = 0; i < kMaxSetAllowedIps; ++i) REQUIRE(parser.add_line("allowed_ip=10.0.0.0/8") == 0);
    CHECK(parser.add_line("allowed_ip=10.0.0.0/8") == -EMSGSIZE);
  }
  SUBCASE("lines") {
    SetParser parser;
    for (size_t i = 0; i < kMaxSetLines; ++i) REQUIRE(parser.add_line("listen_port=1") == 0);
    CHECK(parser.add_line("listen_port=1") == -EMSGSIZE);
    CHECK(parser.lines() == kMaxSetLines + 1);
  }
}

TEST_CASE("uapi get: the keys and order wireguard-go prints") {
  DeviceStatus status;
  status.private_key.emplace();
  status.private_key->bytes = key_of(kKeyA);
  status.listen_port = 51999;
  PeerStatus& peer = status.peers.emplace_back();
  peer.public_key = key_of(kKeyB);
  peer.endpoint = parse_endpoint("127.0.0.1:51998");
  peer.persistent_keepalive = 25;
  peer.allowed_ips = {prefix("10.99.0.2/32"), prefix("fd99::2/128")};
  // wireguard-go 0.0.20220316's reply on this machine (dataplane.md §2.1),
  // with the keys filled in.
  const std::string expected =
      "private_key=" + kKeyA + "\n"
      "listen_port=51999\n"
      "public_key=" + kKeyB + "\n"
      "preshared_key=" + kZero + "\n"
      "protocol_version=1\n"
      "endpoint=127.0.0.1:51998\n"
      "last_handshake_time_sec=0\n"
      "last_handshake_time_nsec=0\n"
      "tx_bytes=0\n"
      "rx_bytes=0\n"
      "persistent_keepalive_interval=25\n"
      "allowed_ip=10.99.0.2/32\n"
      "allowed_ip=fd99::2/128\n";
  CHECK(format_get(status) == expected);
  CHECK(format_errno(0) == "errno=0\n\n");
  CHECK(format_errno(-22) == "errno=-22\n\n");
}

TEST_CASE("uapi get: optional lines and every field") {
  DeviceStatus status;  // no key, port 0, fwmark 0, no peers: nothing at all
  CHECK(format_get(status) == "");
  status.private_key.emplace();  // an all-zero key is no key
  CHECK(format_get(status) == "");
  status.fwmark = 51;
  CHECK(format_get(status) == "fwmark=51\n");

  PeerStatus& peer = status.peers.emplace_back();
  peer.public_key = key_of(kKeyC);
  peer.preshared_key.bytes = key_of(kKeyA);
  peer.endpoint = parse_endpoint("[::ffff:10.0.0.1]:1");
  peer.last_handshake_sec = 1700000000;
  peer.last_handshake_nsec = 999999999;
  peer.rx_bytes = UINT64_MAX;
  peer.tx_bytes = 1;
  PeerStatus& quiet = status.peers.emplace_back();  // no endpoint, no allowed IPs
  quiet.public_key = key_of(kKeyB);
  CHECK(format_get(status) ==
        "fwmark=51\n"
        "public_key=" + kKeyC + "\n"
        "preshared_key=" + kKeyA + "\n"
        "protocol_version=1\n"
        "endpoint=[::ffff:10.0.0.1]:1\n"
        "last_handshake_time_sec=1700000000\n"
        "last_handshake_time_nsec=999999999\n"
        "tx_bytes=1\n"
        "rx_bytes=18446744073709551615\n"
        "persistent_keepalive_interval=0\n"
        "public_key=" + kKeyB + "\n"
        "preshared_key=" + kZero + "\n"
        "protocol_version=1\n"
        "last_handshake_time_sec=0\n"
        "last_handshake_time_nsec=0\n"
        "tx_bytes=0\n"
        "rx_bytes=0\n"
        "persistent_keepalive_interval=0\n");
}
