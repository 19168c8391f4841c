#include <doctest/doctest.h>

#include <fstream>

#include "runtime/meshd/bundle_store.h"
#include "tests/runtime/meshd_test_util.h"

using namespace aclc;
using namespace aclc::meshd;
using namespace aclc::meshd::testing;
using Result = BundleLoad::Result;

namespace {

constexpr uint64_t kNow = 1'700'000'000;

struct Fixture {
  TempDir dir;
  bundle::SigningKey key = bundle::SigningKey::generate();
  uint64_t now = kNow;
  std::string bundle_path = dir.file("node.bundle");
  std::string state_path = dir.file("state");

  std::unique_ptr<BundleStore> store(const std::string& device_name = "") {
    BundleStore::Settings s;
    s.control_key = key.public_key();
    s.device_name = device_name;
    s.bundle_path = bundle_path;
    auto st = std::make_unique<BundleStore>(s, StateDir(state_path), [this] { return now; });
    std::string error;
    REQUIRE_MESSAGE(st->open(error), error);
    return st;
  }
  std::vector<uint8_t> write(const bundle::Bundle& b) {
    auto bytes = seal_or_die(b, key);
    write_bytes(bundle_path, bytes);
    return bytes;
  }
  std::vector<uint8_t> write(const std::string& device, uint64_t serial) {
    return write(sample_bundle(device, serial, now));
  }
};

}  // namespace

TEST_CASE("meshd bundle store: a valid bundle is installed and its serial persisted") {
  Fixture f;
  f.write("node1", 10);
  auto s = f.store();
  BundleLoad l = s->load_at_start();
  CHECK(l.result == Result::kInstalled);
  CHECK(l.message.find("installed bundle serial 10 for node1") != std::string::npos);
  REQUIRE(s->current());
  CHECK(s->current()->serial == 10);
  CHECK(s->current()->peers.size() == 2);
  CHECK(s->last_serial() == 10u);
  std::ifstream in(f.state_path + "/state");
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text == "serial 10\ndevice node1\n");
}

TEST_CASE("meshd bundle store: bad bundles are rejected and the last good one stays") {
  Fixture f;
  f.write("node1", 10);
  auto s = f.store();
  REQUIRE(s->load_at_start().result == Result::kInstalled);

  SUBCASE("tampered") {
    auto bytes = seal_or_die(sample_bundle("node1", 11, f.now), f.key);
    bytes[20] ^= 1;
    write_bytes(f.bundle_path, bytes);
  }
  SUBCASE("signature cut off") {
    auto bytes = seal_or_die(sample_bundle("node1", 11, f.now), f.key);
    bytes.resize(bytes.size() - 1);
    write_bytes(f.bundle_path, bytes);
  }
  SUBCASE("older serial") { f.write("node1", 9); }
  SUBCASE("equal serial, other contents (a replay)") {
    auto b = sample_bundle("node1", 10, f.now);
    b.revision = "sha256:other";
    f.write(b);
  }
  SUBCASE("expired") {
    auto b = sample_bundle("node1", 11, f.now - 7200);
    b.expires_at = f.now;  // not valid at or after
    f.write(b);
  }
  SUBCASE("another device's bundle") { f.write("node2", 11); }
  SUBCASE("signed by another key") {
    auto other = bundle::SigningKey::generate();
    write_bytes(f.bundle_path, seal_or_die(sample_bundle("node1", 11, f.now), other));
  }
  SUBCASE("not a bundle") { write_bytes(f.bundle_path, {'h', 'i'}); }
  SUBCASE("gone") { std::filesystem::remove(f.bundle_path); }
  SUBCASE("a directory") {
    std::filesystem::remove(f.bundle_path);
    std::filesystem::create_directory(f.bundle_path);
  }

  auto before = s->current();
  BundleLoad l = s->reload();
  CHECK(l.result == Result::kRejected);
  CHECK(l.message.find("rejected bundle " + f.bundle_path) != std::string::npos);
  CHECK(l.message.find("keeping serial 10 in force") != std::string::npos);
  CHECK(s->current() == before);
  CHECK(s->last_serial() == 10u);
}

TEST_CASE("meshd bundle store: reload installs a newer bundle, and the same file is unchanged") {
  Fixture f;
  f.write("node1", 10);
  auto s = f.store();
  REQUIRE(s->load_at_start().result == Result::kInstalled);
  CHECK(s->reload().result == Result::kUnchanged);
  f.write("node1", 11);
  BundleLoad l = s->reload();
  CHECK(l.result == Result::kInstalled);
  CHECK(s->current()->serial == 11);
  CHECK(s->reload().result == Result::kUnchanged);
}

TEST_CASE("meshd bundle store: the serial survives a restart; the same bundle is accepted again") {
  Fixture f;
  auto first = f.write("node1", 10);
  {
    auto s = f.store();
    REQUIRE(s->load_at_start().result == Result::kInstalled);
    f.write("node1", 12);
    REQUIRE(s->reload().result == Result::kInstalled);
  }
  SUBCASE("restart with the same bundle file") {
    auto s = f.store();
    BundleLoad l = s->load_at_start();
    CHECK(l.result == Result::kInstalled);
    CHECK(s->current()->serial == 12);
  }
  SUBCASE("restart with an older bundle file: the last accepted one is used") {
    write_bytes(f.bundle_path, first);
    auto s = f.store();
    BundleLoad l = s->load_at_start();
    CHECK(l.result == Result::kInstalled);
    CHECK(l.message.find("rejected bundle") != std::string::npos);
    CHECK(l.message.find("last.bundle") != std::string::npos);
    CHECK(s->current()->serial == 12);
  }
  SUBCASE("restart with an older file and no copy: fail closed") {
    write_bytes(f.bundle_path, first);
    std::filesystem::remove(f.state_path + "/last.bundle");
    auto s = f.store();
    BundleLoad l = s->load_at_start();
    CHECK(l.result == Result::kRejected);
    CHECK(l.message.find("fail closed") != std::string::npos);
    CHECK_FALSE(s->current());
    CHECK(s->last_serial() == 12u);
  }
  SUBCASE("the pinned device name holds after a restart") {
    f.write("node2", 20);
    auto s = f.store();
    CHECK(s->load_at_start().result == Result::kInstalled);  // from last.bundle
    CHECK(s->current()->device == "node1");
  }
}

TEST_CASE("meshd bundle store: a crash between saving last.bundle and the state keeps the newer serial") {
  Fixture f;
  f.write("node1", 10);
  {
    auto s = f.store();
    REQUIRE(s->load_at_start().result == Result::kInstalled);
    f.write("node1", 15);
    REQUIRE(s->reload().result == Result::kInstalled);
  }
  // Put the state back to serial 10 as if the state write never happened.
  write_bytes(f.state_path + "/state", {'s', 'e', 'r', 'i', 'a', 'l', ' ', '1', '0', '\n'});
  f.write("node1", 12);
  auto s = f.store();
  CHECK(s->last_serial() == 15u);
  BundleLoad l = s->load_at_start();
  CHECK(s->current()->serial == 15);  // 12 refused, the kept copy used
  CHECK(l.message.find("rejected bundle") != std::string::npos);
}

TEST_CASE("meshd bundle store: fail closed at start without a valid bundle") {
  Fixture f;
  SUBCASE("no file") {}
  SUBCASE("tampered file") {
    auto bytes = seal_or_die(sample_bundle("node1", 1, f.now), f.key);
    bytes[bytes.size() - 3] ^= 0x80;
    write_bytes(f.bundle_path, bytes);
  }
  SUBCASE("expired file") {
    auto b = sample_bundle("node1", 1, f.now - 7200);
    b.expires_at = f.now - 1;
    f.write(b);
  }
  auto s = f.store();
  BundleLoad l = s->load_at_start();
  CHECK(l.result == Result::kRejected);
  CHECK(l.message.find("no bundle in force: running fail closed") != std::string::npos);
  CHECK_FALSE(s->current());
  CHECK_FALSE(s->last_serial());
  // A valid one arriving later is installed.
  f.write("node1", 2);
  CHECK(s->reload().result == Result::kInstalled);
}

TEST_CASE("meshd bundle store: a configured device name refuses other devices' bundles") {
  Fixture f;
  f.write("node2", 10);
  auto s = f.store("node1");
  BundleLoad l = s->load_at_start();
  CHECK(l.result == Result::kRejected);
  CHECK(l.message.find("node") != std::string::npos);
  f.write("node1", 11);
  CHECK(s->reload().result == Result::kInstalled);
}

TEST_CASE("meshd bundle store: a state directory of another device, or a corrupt state, stops the start") {
  Fixture f;
  f.write("node1", 10);
  REQUIRE(f.store()->load_at_start().result == Result::kInstalled);
  BundleStore::Settings s;
  s.control_key = f.key.public_key();
  s.bundle_path = f.bundle_path;
  std::string error;
  SUBCASE("other device") {
    s.device_name = "node2";
    BundleStore st(s, StateDir(f.state_path), [&] { return f.now; });
    CHECK_FALSE(st.open(error));
    CHECK(error.find("belongs to device \"node1\"") != std::string::npos);
  }
  SUBCASE("corrupt state") {
    write_bytes(f.state_path + "/state", {'s', 'e', 'r', 'i', 'a', 'l', ' ', 'x', '\n'});
    BundleStore st(s, StateDir(f.state_path), [&] { return f.now; });
    CHECK_FALSE(st.open(error));
    CHECK(error.find("bad serial") != std::string::npos);
  }
}

TEST_CASE("meshd bundle store: expiry of the bundle in force") {
  Fixture f;
  f.write("node1", 10);
  auto s = f.store();
  REQUIRE(s->load_at_start().result == Result::kInstalled);
  CHECK_FALSE(s->current_expired());
  f.now += 3599;
  CHECK_FALSE(s->current_expired());
  f.now += 1;
  CHECK(s->current_expired());
}

TEST_CASE("meshd node state: text round trip and bad input") {
  std::string error;
  NodeState st{42, "node-1"};
  auto back = parse_node_state(format_node_state(st), error);
  REQUIRE(back);
  CHECK(*back == st);
  CHECK(parse_node_state("", error) == NodeState{});
  CHECK_FALSE(parse_node_state("serial 1\nserial 2\n", error));
  CHECK_FALSE(parse_node_state("serial -1\n", error));
  CHECK_FALSE(parse_node_state("serial 99999999999999999999999\n", error));
  CHECK_FALSE(parse_node_state("device \n", error));
  CHECK_FALSE(parse_node_state("colour blue\n", error));
}
