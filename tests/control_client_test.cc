// The policy API client against an in-process fake of Tailscale's API:
// retries with backoff on 429 (Retry-After) and 5xx, bounded; no retry on
// 4xx; authentication headers; and aclc deploy end to end against the
// fake (validate, then set with If-Match). Plus unit tests of the
// control library's small pieces: ETags and If-Match, credentials, the
// registry's addresses, the state file.
#include <doctest/doctest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/api_answer.h"
#include "control/api_client.h"
#include "control/control_state.h"
#include "control/credentials.h"
#include "control/etag.h"
#include "control/registry.h"
#include "tests/shell_run.h"

using namespace aclc::control;
using namespace std::chrono_literals;

namespace {

// A scripted fake: each route answers from a queue of statuses, then 200.
class FakeApi {
 public:
  FakeApi() {
    svr_.Get(R"(/api/v2/tailnet/([^/]+)/acl)", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      if (answer("get", res)) return;
      res.set_header("ETag", "\"" + etag + "\"");
      res.set_content(policy, "application/hujson");
    });
    svr_.Post(R"(/api/v2/tailnet/([^/]+)/acl/validate)", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      if (answer("validate", res)) return;
      res.set_content(validate_body, "application/json");
    });
    svr_.Post(R"(/api/v2/tailnet/([^/]+)/acl)", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      {
        std::lock_guard l(mu_);
        if_match = req.get_header_value("If-Match");
      }
      if (answer("set", res)) return;
      policy = req.body;
      etag = policy_etag(req.body);
      res.set_header("ETag", "\"" + etag + "\"");
      res.set_content(policy, "application/hujson");
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeApi() {
    svr_.stop();
    thread_.join();
  }

  // The next answers of a route ("get", "validate", "set"): status and an
  // optional Retry-After.
  void script(const std::string& route, std::vector<std::pair<int, std::string>> answers) {
    std::lock_guard l(mu_);
    scripts_[route] = std::move(answers);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int count(const std::string& path_suffix) {
    std::lock_guard l(mu_);
    int n = 0;
    for (const auto& p : paths_)
      if (p.size() >= path_suffix.size() &&
          p.compare(p.size() - path_suffix.size(), path_suffix.size(), path_suffix) == 0)
        ++n;
    return n;
  }
  std::string last_authorization() {
    std::lock_guard l(mu_);
    return authorization_;
  }

  std::string policy = "{}";
  std::string etag = policy_etag("{}");
  std::string validate_body;  // "" = valid
  std::string if_match;

 private:
  void record(const httplib::Request& req) {
    std::lock_guard l(mu_);
    paths_.push_back(req.method + " " + req.path);
    authorization_ = req.get_header_value("Authorization");
  }
  bool answer(const std::string& route, httplib::Response& res) {
    std::lock_guard l(mu_);
    auto& q = scripts_[route];
    if (q.empty()) return false;
    auto [status, retry_after] = q.front();
    q.erase(q.begin());
    res.status = status;
    if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
    res.set_content("{\"message\":\"scripted " + std::to_string(status) + "\"}", "application/json");
    return true;
  }

  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::pair<int, std::string>>> scripts_;
  std::vector<std::string> paths_;
  std::string authorization_;
};

ApiClientOptions options(const FakeApi& f) {
  ApiClientOptions o;
  o.url = f.url();
  o.api_key = "tskey-api-test";
  o.base_delay = 20ms;
  o.max_delay = 200ms;
  o.max_attempts = 4;
  return o;
}

using Run = aclc::test::ShellResult;

Run run(const std::string& args, const std::string& env) {
  return aclc::test::capture("NO_COLOR=1 " + env + " timeout 60 " + aclc::test::shell_quote(ACLC_BIN) + " " + args);
}

std::string temp_policy(const std::string& text) {
  char tmpl[] = "/tmp/aclc-deploy-test-XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(tmpl) << text;
  return tmpl;
}

}  // namespace

TEST_CASE("429 with Retry-After and 5xx are retried with backoff; success ends the retries") {
  FakeApi f;
  f.script("get", {{429, "0"}, {503, ""}, {502, ""}});
  ApiClient c(options(f));
  auto t0 = std::chrono::steady_clock::now();
  ApiResponse r = c.get_policy();
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(r.status == 200);
  CHECK(r.attempts == 4);
  CHECK(r.etag == f.etag);
  CHECK(f.count("/acl") == 4);
  // Two backoffs of at least half of 40 ms and 80 ms; Retry-After 0 none.
  CHECK(took >= 60ms);
  CHECK(took < 5s);
}

TEST_CASE("retries are bounded: a server that keeps failing gives its last answer") {
  FakeApi f;
  f.script("validate", {{500, ""}, {500, ""}, {500, ""}, {500, ""}, {500, ""}, {500, ""}});
  ApiClient c(options(f));
  ApiResponse r = c.validate("{}");
  CHECK(r.status == 500);
  CHECK(r.attempts == 4);
  CHECK(f.count("/acl/validate") == 4);
}

TEST_CASE("4xx answers are final (never retried)") {
  FakeApi f;
  f.script("set", {{412, ""}});
  ApiClient c(options(f));
  ApiResponse r = c.set_policy("{\"acls\":[]}", "abc");
  CHECK(r.status == 412);
  CHECK(r.attempts == 1);
  CHECK(f.if_match == "\"abc\"");
}

TEST_CASE("a Retry-After longer than the cap waits only the cap") {
  FakeApi f;
  f.script("get", {{429, "3600"}});
  ApiClient c(options(f));
  auto t0 = std::chrono::steady_clock::now();
  CHECK(c.get_policy().status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("a refused connection is retried, then reported") {
  ApiClientOptions o;
  o.url = "http://127.0.0.1:1";
  o.api_key = "k";
  o.base_delay = 1ms;
  o.max_attempts = 3;
  ApiClient c(o);
  ApiResponse r = c.get_policy();
  CHECK(r.status == 0);
  CHECK(r.attempts == 3);
  CHECK(!r.transport_error.empty());
}

TEST_CASE("the key goes as basic auth user (or bearer), never elsewhere") {
  FakeApi f;
  {
    ApiClient c(options(f));
    c.get_policy();
    // base64("tskey-api-test:")
    CHECK(f.last_authorization() == "Basic dHNrZXktYXBpLXRlc3Q6");
  }
  auto o = options(f);
  o.bearer = true;
  ApiClient c(o);
  c.get_policy();
  CHECK(f.last_authorization() == "Bearer tskey-api-test");
}

TEST_CASE("aclc deploy against a flaky Tailscale-like API: retried, then validate and If-Match set") {
  FakeApi f;
  f.script("get", {{429, "0"}});
  f.script("validate", {{503, ""}});
  std::string base = f.etag;
  std::string file = temp_policy("{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"*:*\"]}]}\n");
  Run r = run("deploy " + file + " --api " + f.url() + " --retry-base-ms 10 --format json",
              "TS_API_KEY=tskey-api-test");
  CHECK_MESSAGE(r.exit_code == 0, r.out);
  CHECK(r.out.find("\"status\":\"deployed\"") != std::string::npos);
  CHECK(f.if_match == "\"" + base + "\"");
  CHECK(f.count("/acl/validate") == 2);
  CHECK(f.policy.find("accept") != std::string::npos);

  // Tailscale's validation answer (200 with a message) stops the deploy.
  f.validate_body = "{\"message\":\"line 1, column 12: unknown field \\\"aclz\\\"\"}";
  std::string bad = temp_policy("{\"aclz\": []}\n");
  Run v = run("deploy " + bad + " --api " + f.url() + " --format github",
              "ACLC_API_KEY=tskey-api-test");
  CHECK(v.exit_code == 1);
  CHECK_MESSAGE(v.out.find("line=1,col=12") != std::string::npos, v.out);

  // A 5xx that never ends: exit 2 after the attempts.
  f.validate_body = "";
  f.script("validate", {{500, ""}, {500, ""}, {500, ""}});
  Run down = run("deploy " + file + " --api " + f.url() + " --if-match x --retry-base-ms 1 --max-attempts 3",
                 "TS_API_KEY=tskey-api-test");
  CHECK(down.exit_code == 2);
  CHECK(down.out.find("HTTP 500") != std::string::npos);
  std::remove(file.c_str());
  std::remove(bad.c_str());
}

TEST_CASE("ETags and If-Match") {
  CHECK(policy_etag("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(unquote_etag(" W/\"abc\" ") == "abc");
  CHECK(quote_etag("abc") == "\"abc\"");
  CHECK(parse_if_match("", false).matches("x", false));
  CHECK(parse_if_match("\"x\"", true).matches("x", false));
  CHECK(!parse_if_match("\"y\"", true).matches("x", false));
  CHECK(parse_if_match("\"y\", \"x\"", true).matches("x", false));
  CHECK(parse_if_match("*", true).matches("x", false));
  CHECK(parse_if_match("\"ts-default\"", true).matches("x", true));
  CHECK(!parse_if_match("\"ts-default\"", true).matches("x", false));
  CHECK(!parse_if_match("", true).matches("x", false));
  CHECK(none_match_hits("\"x\"", "x"));
  CHECK(!none_match_hits("\"y\"", "x"));
}

TEST_CASE("credentials: only the right key of the right kind, unexpired, passes") {
  std::vector<Credential> creds(3);
  std::string api = make_key(KeyKind::Api, creds[0], 100);
  std::string auth = make_key(KeyKind::Auth, creds[1], 100);
  creds[1].expires = 200;
  std::string node = make_key(KeyKind::Node, creds[2], 100);
  size_t i = 99;
  CHECK(authenticate(creds, api, KeyKind::Api, 150, i) == AuthResult::Ok);
  CHECK(i == 0);
  CHECK(authenticate(creds, node, KeyKind::Api, 150, i) == AuthResult::WrongKind);
  CHECK(authenticate(creds, auth, KeyKind::Auth, 150, i) == AuthResult::Ok);
  CHECK(authenticate(creds, auth, KeyKind::Auth, 200, i) == AuthResult::Expired);
  creds[1].used = true;
  CHECK(authenticate(creds, auth, KeyKind::Auth, 150, i) == AuthResult::Expired);
  std::string forged = api;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  CHECK(authenticate(creds, forged, KeyKind::Api, 150, i) == AuthResult::Unknown);
  CHECK(authenticate(creds, "tskey-api-123", KeyKind::Api, 150, i) == AuthResult::Malformed);
  CHECK(authenticate(creds, api + "0", KeyKind::Api, 150, i) == AuthResult::Malformed);
  // The state file keeps only hashes, and round-trips.
  ControlState s;
  s.keys = creds;
  std::string json = state_to_json(s);
  CHECK(json.find(api) == std::string::npos);
  std::string err;
  auto back = state_from_json(json, err);
  REQUIRE(back);
  CHECK(authenticate(back->keys, node, KeyKind::Node, 150, i) == AuthResult::Ok);
  CHECK(!state_from_json("{\"version\":2}", err));
  CHECK(!state_from_json("[", err));
}

TEST_CASE("registry addresses and inputs") {
  CHECK(addresses_for(1)->first == "100.64.0.1");
  CHECK(addresses_for(1)->second == "fd7a:115c:a1e0::1");
  CHECK(addresses_for(256)->first == "100.64.1.0");
  CHECK(addresses_for(65537)->second == "fd7a:115c:a1e0::1:1");
  CHECK(addresses_for((1u << 22) - 2)->first == "100.127.255.254");
  CHECK(!addresses_for((1u << 22) - 1));
  CHECK(!addresses_for(0));
  CHECK(valid_hostname("web-1"));
  CHECK(!valid_hostname("../x"));
  CHECK(!valid_hostname("-a"));
  CHECK(!valid_hostname("Web"));
  CHECK(valid_endpoint("192.0.2.1:51820"));
  CHECK(valid_endpoint("[2001:db8::1]:51820"));
  CHECK(!valid_endpoint("192.0.2.1:0"));
  CHECK(!valid_endpoint("192.0.2.1"));
  CHECK(valid_wireguard_key("yUvNISnAvnaWBjf0/I6ttrZwg02D3tzCQDRxhOpij+c="));
  CHECK(!valid_wireguard_key("yUvNISnAvnaWBjf0/I6ttrZwg02D3tzCQDRxhOpij+="));
  CHECK(!valid_wireguard_key("short="));
}

TEST_CASE("API answers become findings at their positions") {
  aclc::Diagnostics d;
  CHECK(!answer_findings("", "p", d));
  CHECK(!answer_findings("{}", "p", d));
  CHECK(answer_findings("{\"message\":\"line 4, column 2: bad\"}", "p", d));
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].pos.line == 4);
  CHECK(d.items()[0].pos.col == 2);
  CHECK(d.items()[0].message == "bad");
  aclc::Diagnostics t;
  CHECK(answer_findings(
      "{\"message\":\"test(s) failed\",\"data\":[{\"user\":\"a@b\",\"errors\":[\"x\",\"y\"]}]}", "p", t));
  CHECK(t.items().size() == 2);
  CHECK(t.items()[0].message == "for user a@b: x");
}
