// One UAPI connection's protocol (runtime/uapi/session.h) without sockets:
// several operations per connection, errors that keep or end it, input
// split at every byte, bounded replies.
#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "runtime/uapi/protocol.h"
#include "runtime/uapi/session.h"
#include "tests/runtime/uapi_fake_target.h"

using namespace aclc::runtime;
using namespace aclc::runtime::uapi;
using aclc::runtime::testing::FakeTarget;

namespace {

const std::string kKeyA = "8c3c1bd7ffb3bb1a6b6a04c5ff1b8d2ab2d3d5fae97cdab1c4e4f6e6b69a4e62";
const std::string kKeyB = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";

// Feeds `input` in chunks of `chunk` bytes, sending every reply as soon as
// it appears, as the server does; returns everything sent.
std::string converse(Session& s, std::string_view input, size_t chunk = SIZE_MAX) {
  std::string replies;
  while (!input.empty() && !s.finished()) {
    const std::string_view piece = input.substr(0, chunk);
    const size_t used = s.receive(piece);
    replies += s.output();
    s.sent(s.output().size());
    input.remove_prefix(used);
    if (used == 0 && s.output().empty() && !s.finished()) break;  // never reached: progress check
  }
  replies += s.output();
  s.sent(s.output().size());
  return replies;
}

}  // namespace

TEST_CASE("uapi session: set then get on one connection, split at every byte") {
  const std::string request =
      "set=1\nlisten_port=51820\npublic_key=" + kKeyB + "\nendpoint=1.2.3.4:5\nallowed_ip=10.0.0.0/8\n\n"
      "get=1\n\n";
  const std::string expected =
      "errno=0\n\n"
      "listen_port=51820\n"
      "public_key=" + kKeyB + "\n"
      "preshared_key=" + std::string(64, '0') + "\n"
      "protocol_version=1\n"
      "endpoint=1.2.3.4:5\n"
      "last_handshake_time_sec=0\n"
      "last_handshake_time_nsec=0\n"
      "tx_bytes=0\n"
      "rx_bytes=0\n"
      "persistent_keepalive_interval=0\n"
      "allowed_ip=10.0.0.0/8\n"
      "errno=0\n\n";
  for (size_t chunk : {size_t(1), size_t(2), size_t(7), size_t(4096)}) {
    FakeTarget target;
    Session session(target);
    CHECK_MESSAGE(converse(session, request, chunk) == expected, "chunk " << chunk);
    CHECK_FALSE(session.finished());
    REQUIRE(target.received().size() == 1);
    CHECK(target.received()[0].listen_port == 51820);
  }
}

TEST_CASE("uapi session: a failed set is answered and the connection stays usable") {
  FakeTarget target;
  std::vector<std::string> log;
  Session session(target, [&](std::string_view line) { log.emplace_back(line); });
  const std::string replies = converse(session,
                                       "set=1\nlisten_port=abc\nfoo=1\n\n"
                                       "set=1\nno equals\n\n"
                                       "set=1\nlisten_port=7\n\n");
  CHECK(replies == "errno=-22\n\nerrno=-71\n\nerrno=0\n\n");
  CHECK_FALSE(session.finished());
  REQUIRE(target.received().size() == 1);  // the bad requests applied nothing
  CHECK(target.received()[0].listen_port == 7);
  REQUIRE(log.size() == 2);
  CHECK(log[0].find("errno -22") != std::string::npos);
}

TEST_CASE("uapi session: the target's errno is the reply") {
  FakeTarget target;
  target.set_busy_port(53);
  Session session(target);
  CHECK(converse(session, "set=1\nlisten_port=53\n\n") == "errno=-98\n\n");
}

TEST_CASE("uapi session: what ends a connection") {
  FakeTarget target;
  SUBCASE("an unknown operation: closed without a reply") {
    Session session(target);
    CHECK(converse(session, "get=2\n\nget=1\n\n") == "");
    CHECK(session.finished());
    CHECK(target.status_calls() == 0);
  }
  SUBCASE("an empty operation line") {
    Session session(target);
    CHECK(converse(session, "\n") == "");
    CHECK(session.finished());
  }
  SUBCASE("a get with trailing bytes: -EINVAL, closed") {
    Session session(target);
    CHECK(converse(session, "get=1\nx\nget=1\n\n") == "errno=-22\n\n");
    CHECK(session.finished());
    CHECK(target.status_calls() == 0);
  }
  SUBCASE("an overlong operation line") {
    Session session(target);
    CHECK(converse(session, std::string(10000, 's')) == "");
    CHECK(session.finished());
  }
  SUBCASE("a set that never ends is not applied") {
    Session session(target);
    CHECK(converse(session, "set=1\nlisten_port=1\n") == "");
    CHECK_FALSE(session.finished());
    CHECK(target.received().empty());
  }
}

TEST_CASE("uapi session: an overlong set line is refused and skipped, not buffered") {
  FakeTarget target;
  Session session(target);
  const std::string huge = "set=1\nlisten_port=" + std::string(1 << 20, '1') + "\nlisten_port=2\n\nset=1\nlisten_port=3\n\n";
  CHECK(converse(session, huge, 4096) == "errno=-22\n\nerrno=0\n\n");
  REQUIRE(target.received().size() == 1);
  CHECK(target.received()[0].listen_port == 3);
}

TEST_CASE("uapi session: too many lines in one set ends the connection") {
  FakeTarget target;
  Session session(target);
  std::string lines;
  for (int i = 0; i < 1 << 16; ++i) lines += "listen_port=1\n";
  session.receive("set=1\n");
  size_t fed = 0;
  while (fed <= kMaxSetLines + (1 << 16) && !session.finished()) {
    const size_t used = session.receive(lines);
    if (!session.finished()) REQUIRE(used == lines.size());
    fed += 1 << 16;
  }
  CHECK(session.finished());
  CHECK(session.output() == "errno=-90\n\n");  // -EMSGSIZE
  CHECK(target.received().empty());
}

TEST_CASE("uapi session: one reply at a time, the rest of the input waits") {
  FakeTarget target;
  Session session(target);
  const std::string three = "get=1\n\nget=1\n\nget=1\n\n";
  size_t used = session.receive(three);
  CHECK(used == 7);  // stopped after the first get
  CHECK(session.output() == "errno=0\n\n");
  CHECK(session.receive(std::string_view(three).substr(used)) == 0);  // reply still pending
  session.sent(6);
  CHECK(session.output() == "0\n\n");
  session.sent(3);
  CHECK(session.output().empty());
  used += session.receive(std::string_view(three).substr(used));
  CHECK(used == 14);
  CHECK(target.status_calls() == 2);
}
