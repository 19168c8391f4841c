#include <doctest/doctest.h>

#include "runtime/meshd/options.h"

using aclc::meshd::LogLevel;
using aclc::meshd::parse_options;
using aclc::meshd::ParseResult;
using Action = ParseResult::Action;

namespace {

std::vector<std::string> base() {
  return {"mesh0", "--private-key", "/k", "--control-key", "/c.pub", "--bundle", "/b"};
}

std::vector<std::string> with(std::vector<std::string> extra) {
  auto v = base();
  v.insert(v.end(), extra.begin(), extra.end());
  return v;
}

}  // namespace

TEST_CASE("meshd options: the required set, with defaults") {
  ParseResult r = parse_options(base());
  REQUIRE(r.action == Action::kRun);
  CHECK(r.options.iface == "mesh0");
  CHECK(r.options.private_key_path == "/k");
  CHECK(r.options.control_key_path == "/c.pub");
  CHECK(r.options.bundle_path == "/b");
  CHECK(r.options.state_dir == "/var/lib/meshd/mesh0");
  CHECK(r.options.uapi_dir == "/var/run/wireguard");
  CHECK(r.options.listen_port == 51820);
  CHECK(r.options.mtu == 1420);
  CHECK(r.options.log_level == LogLevel::kInfo);
  CHECK(r.options.assign_addresses);
  CHECK(r.options.test_time_scale == 1);
  CHECK(r.options.decision_log.empty());
  CHECK(r.options.handshake_threads == -1);  // one per CPU
}

TEST_CASE("meshd options: every option, both spellings, anywhere") {
  ParseResult r = parse_options({"--foreground", "--private-key=/k", "-f", "--control-key", "/c",
                                 "wg7", "--bundle", "/b", "--state-dir", "/s", "--listen-port=0", "--device-name", "n1",
                                 "--mtu", "1280", "--log-decisions", "-", "--log-level", "debug",
                                 "--uapi-dir", "/u", "--test-time-scale", "60", "--no-addresses",
                                 "--handshake-threads", "0"});
  REQUIRE(r.action == Action::kRun);
  CHECK(r.options.iface == "wg7");
  CHECK(r.options.state_dir == "/s");
  CHECK(r.options.device_name == "n1");
  CHECK(r.options.listen_port == 0);
  CHECK(r.options.mtu == 1280);
  CHECK(r.options.decision_log == "-");
  CHECK(r.options.log_level == LogLevel::kDebug);
  CHECK(r.options.uapi_dir == "/u");
  CHECK(r.options.test_time_scale == 60);
  CHECK_FALSE(r.options.assign_addresses);
  CHECK(r.options.handshake_threads == 0);
}

TEST_CASE("meshd options: help and version win over everything") {
  CHECK(parse_options({"--help"}).action == Action::kHelp);
  CHECK(parse_options({"mesh0", "-h", "--bogus"}).action == Action::kHelp);
  CHECK(parse_options({"--version"}).action == Action::kVersion);
  std::string usage = aclc::meshd::usage_text();
  for (const char* opt : {"--private-key", "--control-key", "--bundle", "--state-dir",
                          "--listen-port", "--mtu", "--log-decisions", "--log-level",
                          "--uapi-dir", "--test-time-scale", "--device-name", "--no-addresses", "--handshake-threads", "SIGHUP"})
    CHECK_MESSAGE(usage.find(opt) != std::string::npos, opt);
}

TEST_CASE("meshd options: usage errors say what is wrong") {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  std::vector<Case> cases = {
      {{}, "missing the interface name"},
      {{"mesh0", "--control-key", "/c", "--bundle", "/b"}, "missing --private-key"},
      {{"mesh0", "--private-key", "/k", "--bundle", "/b"}, "missing --control-key"},
      {{"mesh0", "--private-key", "/k", "--control-key", "/c"}, "missing --bundle"},
      {with({"extra"}), "unexpected argument \"extra\""},
      {with({"--frobnicate"}), "unknown option --frobnicate"},
      {with({"--mtu"}), "--mtu needs a value"},
      {with({"--bundle="}), "--bundle needs a non-empty value"},
      {with({"--listen-port", "65536"}), "--listen-port 65536"},
      {with({"--listen-port", "-1"}), "--listen-port -1"},
      {with({"--listen-port", "12ab"}), "--listen-port 12ab"},
      {with({"--mtu", "100"}), "--mtu 100"},
      {with({"--mtu", "70000"}), "--mtu 70000"},
      {with({"--log-level", "loud"}), "--log-level loud"},
      {with({"--handshake-threads", "65"}), "--handshake-threads 65"},
      {with({"--handshake-threads", "-1"}), "--handshake-threads -1"},
      {with({"--test-time-scale", "0"}), "--test-time-scale 0"},
      {with({"--test-time-scale", "99999999999999999999"}), "--test-time-scale"},
      {{"a/b", "--private-key", "/k", "--control-key", "/c", "--bundle", "/b"}, "may not contain"},
      {{"..", "--private-key", "/k", "--control-key", "/c", "--bundle", "/b"}, "not an interface"},
      {{"sixteen-chars-xx", "--private-key", "/k", "--control-key", "/c", "--bundle", "/b"},
       "longer than 15"},
  };
  for (const Case& c : cases) {
    ParseResult r = parse_options(c.args);
    CHECK(r.action == Action::kUsageError);
    CHECK_MESSAGE(r.error.find(c.says) != std::string::npos, r.error, " should say ", c.says);
  }
}

TEST_CASE("meshd options: -- ends the options") {
  ParseResult r = parse_options({"--private-key", "/k", "--control-key", "/c", "--bundle", "/b",
                                 "--", "m0"});
  REQUIRE(r.action == Action::kRun);
  CHECK(r.options.iface == "m0");
}
