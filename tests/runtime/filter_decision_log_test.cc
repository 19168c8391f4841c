// The decision log: exact line format, JSON validity for both families and
// ICMP, the token-bucket limits (defaults, "all", off) on a fake clock, the
// suppressed count carried by the next line, one write() per line.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

#include "runtime/filter/decision_log.h"

using namespace aclc::runtime::filter;
using namespace std::chrono_literals;
using aclc::wg::Instant;

namespace {

int64_t fixed_clock() { return 1748779200123456789LL; }  // 2025-06-01T12:00:00.123456789Z

// A pipe whose read end the test drains; reads return whole lines because
// each is one write() far below PIPE_BUF.
struct Pipe {
  int fds[2];
  Pipe() {
    REQUIRE(pipe2(fds, O_NONBLOCK) == 0);
  }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
  std::vector<std::string> lines() {
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) all.append(buf, size_t(n));
    std::vector<std::string> out;
    size_t at = 0;
    while (at < all.size()) {
      size_t nl = all.find('\n', at);
      REQUIRE(nl != std::string::npos);  // every line is terminated
      out.push_back(all.substr(at, nl - at));
      at = nl + 1;
    }
    return out;
  }
};

Decision drop_tcp() {
  Decision d;
  d.verdict = {false, Reason::kNoRule};
  d.direction = Direction::kInbound;
  d.flow = FlowKey{0x64400001, 0x64400002, 40001, 22, kProtoTcp, 4};
  return d;
}

rapidjson::Document parse_json(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str(), line.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), line);
  REQUIRE(doc.IsObject());
  return doc;
}

}  // namespace

TEST_CASE("filter decision log: the line format") {
  char buf[kMaxLogLine];
  size_t n = format_line(drop_tcp(), fixed_clock(), 3, buf);
  CHECK(std::string(buf, n) ==
        "{\"time\":\"2025-06-01T12:00:00.123456789Z\",\"verdict\":\"drop\",\"dir\":\"in\","
        "\"reason\":\"no-rule\",\"proto\":6,\"src\":\"100.64.0.1\",\"sport\":40001,"
        "\"dst\":\"100.64.0.2\",\"dport\":22,\"suppressed\":3}\n");

  Decision icmp6;
  icmp6.verdict = {true, Reason::kEcho};
  icmp6.direction = Direction::kOutbound;
  icmp6.flow = FlowKey{(unsigned __int128)0xfd7a115ca1e00000ULL << 64 | 1, ~(unsigned __int128)0,
                       65535, 0, kProtoIcmpV6, 6};
  icmp6.icmp = true;
  icmp6.icmp_type = 128;
  n = format_line(icmp6, INT64_MAX, UINT64_MAX, buf);
  CHECK(n <= kMaxLogLine);
  std::string line(buf, n - 1);
  auto doc = parse_json(line);
  CHECK(std::string(doc["verdict"].GetString()) == "pass");
  CHECK(std::string(doc["dir"].GetString()) == "out");
  CHECK(std::string(doc["reason"].GetString()) == "icmp-echo");
  CHECK(std::string(doc["src"].GetString()) == "fd7a:115c:a1e0::1");
  CHECK(std::string(doc["dst"].GetString()) == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(doc["icmp_type"].GetInt() == 128);
  CHECK(doc["icmp_code"].GetInt() == 0);
  CHECK(doc["suppressed"].GetUint64() == UINT64_MAX);
  CHECK(doc["sport"].GetInt() == 65535);

  // A malformed packet has no addresses: still valid JSON.
  Decision bad;
  bad.verdict = {false, Reason::kMalformed};
  n = format_line(bad, 0, 0, buf);
  auto doc2 = parse_json(std::string(buf, n - 1));
  CHECK(std::string(doc2["src"].GetString()).empty());
  CHECK(std::string(doc2["time"].GetString()) == "1970-01-01T00:00:00.000000000Z");
}

TEST_CASE("filter decision log: drops 1 per 5 s, burst 10, and the suppressed count") {
  Pipe pipe;
  DecisionLogConfig cfg;
  cfg.fd = pipe.fds[1];
  cfg.wall_clock_ns = fixed_clock;
  DecisionLog log(cfg);
  CHECK(log.wants(false));
  CHECK_FALSE(log.wants(true));  // accepts are off by default

  Instant t0(100s);
  for (int i = 0; i < 25; ++i) log.record(drop_tcp(), t0);
  auto lines = pipe.lines();
  REQUIRE(lines.size() == 10);  // the burst
  for (const auto& l : lines) CHECK(parse_json(l)["suppressed"].GetUint64() == 0);
  CHECK(log.suppressed_total() == 15);

  log.record(drop_tcp(), t0 + 4s);  // not yet a token
  CHECK(pipe.lines().empty());
  log.record(drop_tcp(), t0 + 5s);  // one token
  lines = pipe.lines();
  REQUIRE(lines.size() == 1);
  CHECK(parse_json(lines[0])["suppressed"].GetUint64() == 16);
  log.record(drop_tcp(), t0 + 6s);
  CHECK(pipe.lines().empty());

  // A long quiet period refills the burst, not more.
  for (int i = 0; i < 20; ++i) log.record(drop_tcp(), t0 + 1h);
  lines = pipe.lines();
  CHECK(lines.size() == 10);
  CHECK(parse_json(lines[0])["suppressed"].GetUint64() == 1);
  CHECK(parse_json(lines[1])["suppressed"].GetUint64() == 0);
  CHECK(log.lines_written() == 21);
  CHECK(log.write_errors() == 0);

  // Accepts are not logged (and do not count as suppressed).
  Decision pass = drop_tcp();
  pass.verdict = {true, Reason::kRule, 0};
  log.record(pass, t0 + 2h);
  CHECK(pipe.lines().empty());
}

TEST_CASE("filter decision log: all, configured limits, accepts, off") {
  Pipe pipe;
  DecisionLogConfig cfg;
  cfg.fd = pipe.fds[1];
  cfg.wall_clock_ns = fixed_clock;
  cfg.drops = LogMode::kAll;
  cfg.accepts = LogMode::kLimited;
  cfg.accept_interval = 1s;
  cfg.accept_burst = 2;
  DecisionLog log(cfg);
  for (int i = 0; i < 100; ++i) log.record(drop_tcp(), Instant(0));
  CHECK(pipe.lines().size() == 100);

  Decision pass = drop_tcp();
  pass.verdict = {true, Reason::kTracked};
  for (int i = 0; i < 5; ++i) log.record(pass, Instant(1s));
  auto lines = pipe.lines();
  REQUIRE(lines.size() == 2);
  CHECK(std::string(parse_json(lines[1])["verdict"].GetString()) == "pass");
  log.record(pass, Instant(2s));
  lines = pipe.lines();
  REQUIRE(lines.size() == 1);
  CHECK(parse_json(lines[0])["suppressed"].GetUint64() == 3);

  DecisionLogConfig off;
  off.fd = pipe.fds[1];
  off.drops = LogMode::kOff;
  DecisionLog silent(off);
  CHECK_FALSE(silent.wants(false));
  silent.record(drop_tcp(), Instant(0));
  CHECK(pipe.lines().empty());

  DecisionLogConfig no_fd;
  DecisionLog nowhere(no_fd);
  CHECK_FALSE(nowhere.wants(false));
}

TEST_CASE("filter decision log: a failing sink is counted, not retried") {
  int fds[2];
  REQUIRE(pipe2(fds, O_NONBLOCK) == 0);
  close(fds[0]);  // writes now fail with EPIPE (SIGPIPE ignored below)
  signal(SIGPIPE, SIG_IGN);
  DecisionLogConfig cfg;
  cfg.fd = fds[1];
  cfg.drops = LogMode::kAll;
  DecisionLog log(cfg);
  log.record(drop_tcp(), Instant(0));
  log.record(drop_tcp(), Instant(0));
  CHECK(log.write_errors() == 2);
  CHECK(log.lines_written() == 0);
  close(fds[1]);
}
