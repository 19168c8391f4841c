#include "control/server.h"

#include <httplib.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sodium.h>

#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "compiler/common/json_text.h"
#include "compiler/front/hujson.h"
#include "control/policy_format.h"

namespace aclc::control {
namespace {

using httplib::Request;
using httplib::Response;

void log_line(const std::string& s) { std::fprintf(stderr, "aclc serve: %s\n", s.c_str()); }

void json_error(Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content("{\"message\":" + json_quote(message) + "}\n", "application/json");
}

int status_of(Fault f) {
  switch (f) {
    case Fault::None: return 200;
    case Fault::BadRequest:
    case Fault::Invalid: return 400;
    case Fault::Unauthorized: return 401;
    case Fault::Forbidden: return 403;
    case Fault::NotFound: return 404;
    case Fault::Conflict: return 409;
    case Fault::PreconditionFailed: return 412;
    case Fault::Internal: return 500;
  }
  return 500;
}

void send_outcome(Response& res, const Outcome& o) {
  if (!o.body.empty()) {
    res.status = status_of(o.fault);
    res.set_content(o.body, "application/json");
  } else {
    json_error(res, status_of(o.fault), o.message);
  }
}

// The key of HTTP basic auth (the key as user name, as Tailscale takes it)
// or of a bearer token; "" when there is none.
std::string presented_key(const Request& req) {
  std::string h = req.get_header_value("Authorization");
  if (h.rfind("Bearer ", 0) == 0) return h.substr(7);
  if (h.rfind("Basic ", 0) == 0) {
    std::string b64 = h.substr(6);
    std::string raw(b64.size(), '\0');
    size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), b64.data(),
                          b64.size(), nullptr, &len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
      return "";
    raw.resize(len);
    return raw.substr(0, raw.find(':'));
  }
  return "";
}

std::string put_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, v[i]);
  }
  return out + "]";
}

bool string_list(const rapidjson::Value& v, std::vector<std::string>& out) {
  if (!v.IsArray()) return false;
  for (const auto& s : v.GetArray()) {
    if (!s.IsString()) return false;
    out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return true;
}

// Validate's mode A: the body is an array (of tests), not a policy object.
// A body that does not parse but opens with '[' is a malformed array (a 400
// there), not an invalid policy.
bool is_tests_array(const std::string& body) {
  try {
    return hujson::parse(body).is_array();
  } catch (const hujson::SyntaxError&) {
    size_t first = body.find_first_not_of(" \t\r\n");
    return first != std::string::npos && body[first] == '[';
  }
}

}  // namespace

struct Server::Impl {
  ControlPlane& plane;
  ServerOptions o;
  std::unique_ptr<httplib::Server> http;
  std::atomic<bool> stopping{false};
  // run() is in, or entering, httplib's accept loop.
  std::atomic<bool> serving{false};
  std::thread refresher;

  Impl(ControlPlane& p, ServerOptions opts) : plane(p), o(std::move(opts)) {}

  // Authenticates the request's key; on failure answers and logs it.
  bool auth(const Request& req, Response& res, KeyKind want, Credential& who) {
    std::string key = presented_key(req);
    if (key.empty()) {
      log_line("denied " + req.method + " " + req.path + " from " + req.remote_addr +
               ": no credentials");
      res.set_header("WWW-Authenticate", "Basic realm=\"aclc\"");
      json_error(res, 401, "authentication required: send the key as HTTP basic user or bearer token");
      return false;
    }
    Outcome out = plane.authenticate(key, want, who);
    sodium_memzero(key.data(), key.size());
    if (!out.ok()) {
      log_line("denied " + req.method + " " + req.path + " from " + req.remote_addr + ": " +
               out.message);
      send_outcome(res, out);
      return false;
    }
    return true;
  }

  bool tailnet_ok(const Request& req, Response& res) {
    const std::string& t = req.matches[1];
    if (t == "-" || t == o.tailnet) return true;
    json_error(res, 404, "tailnet \"" + t + "\" not found");
    return false;
  }

  // The policy in the form the request's Accept asks for (HuJSON verbatim
  // unless it asks for JSON), with its ETag.
  void policy_reply(const Request& req, Response& res, const PolicyView& v) {
    if (v.commit.empty()) return json_error(res, 500, "cannot read the current policy");
    PolicyFormat f = format_for_accept(req.get_header_value("Accept"));
    std::string body = v.text;
    if (f == PolicyFormat::Json) {
      auto json = normalized_json(v.text);
      if (!json) return json_error(res, 500, "the stored policy is not HuJSON");
      body = std::move(*json);
    }
    res.set_header("ETag", quote_etag(v.etag));
    res.set_content(body, content_type(f));
  }

  // GET /acl?details=1 (Tailscale's schema: "true" too; anything else is a
  // plain GET): {"acl": base64 of the stored HuJSON, "warnings", "errors"}.
  static bool wants_details(const Request& req) {
    if (!req.has_param("details")) return false;
    std::string v = req.get_param_value("details");
    return v == "1" || v == "true";
  }

  void details_reply(Response& res, const PolicyDetails& d) {
    if (d.view.commit.empty()) return json_error(res, 500, "cannot read the current policy");
    const std::string& text = d.view.text;
    std::string b64(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(b64.data(), b64.size(), reinterpret_cast<const unsigned char*>(text.data()),
                      text.size(), sodium_base64_VARIANT_ORIGINAL);
    b64.resize(b64.size() - 1);  // the terminating NUL
    std::string body = "{\"acl\":" + json_quote(b64) + ",\"warnings\":" + put_list(d.warnings) +
                       ",\"errors\":" + (d.errors.empty() ? "null" : put_list(d.errors)) + "}\n";
    res.set_header("ETag", quote_etag(d.view.etag));
    res.set_content(body, "application/json");
  }

  IfMatch if_match(const Request& req) {
    return parse_if_match(req.get_header_value("If-Match"), req.has_header("If-Match"));
  }

  bool policy_body(const Request& req, Response& res) {
    if (req.body.empty()) {
      json_error(res, 400, "empty request body: send the policy (HuJSON or JSON)");
      return false;
    }
    return true;
  }

  void routes() {
    httplib::Server& s = *http;
    const std::string acl = R"(/api/v2/tailnet/([^/]+)/acl)";

    s.Get(acl, [this](const Request& req, Response& res) {
      Credential who;
      if (!tailnet_ok(req, res) || !auth(req, res, KeyKind::Api, who)) return;
      if (wants_details(req)) return details_reply(res, plane.details());
      policy_reply(req, res, plane.current());
    });

    s.Post(acl, [this](const Request& req, Response& res) {
      Credential who;
      if (!tailnet_ok(req, res) || !auth(req, res, KeyKind::Api, who) || !policy_body(req, res))
        return;
      PolicyView now;
      Outcome out = plane.set_policy(req.body, if_match(req), who, now);
      if (!out.ok()) {
        log_line("policy from " + who.name + " refused: " +
                 (out.message.empty() ? std::string("invalid") : out.message));
        return send_outcome(res, out);
      }
      log_line("policy set by " + who.name + ": commit " + now.commit.substr(0, 12) + ", ETag " +
               now.etag.substr(0, 12));
      policy_reply(req, res, now);
    });

    s.Post(acl + "/validate", [this](const Request& req, Response& res) {
      Credential who;
      if (!tailnet_ok(req, res) || !auth(req, res, KeyKind::Api, who) || !policy_body(req, res))
        return;
      std::string body;
      if (is_tests_array(req.body)) {
        // Mode A: the tests, against the current policy.
        Outcome out = plane.run_tests(req.body, body);
        if (!out.ok()) return send_outcome(res, out);
      } else {
        // Mode B: a candidate policy, with its own tests.
        plane.validate(req.body, body);
      }
      res.status = 200;  // as Tailscale: 200 even when the policy is invalid
      res.set_content(body.empty() ? "{}" : body, "application/json");
    });

    s.Post(acl + "/rollback", [this](const Request& req, Response& res) {
      Credential who;
      if (!tailnet_ok(req, res) || !auth(req, res, KeyKind::Api, who)) return;
      rapidjson::Document d;
      d.Parse(req.body.c_str(), req.body.size());
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("revision") ||
          !d["revision"].IsString())
        return json_error(res, 400, "body must be {\"revision\": \"<commit or revision>\"}");
      PolicyView now;
      Outcome out = plane.rollback(d["revision"].GetString(), if_match(req), who, now);
      if (!out.ok()) return send_outcome(res, out);
      log_line("policy rolled back by " + who.name + " to " + d["revision"].GetString() +
               ": commit " + now.commit.substr(0, 12));
      policy_reply(req, res, now);
    });

    s.Get(acl + "/history", [this](const Request& req, Response& res) {
      Credential who;
      if (!tailnet_ok(req, res) || !auth(req, res, KeyKind::Api, who)) return;
      size_t limit = 100;
      if (req.has_param("limit")) {
        try {
          limit = std::stoul(req.get_param_value("limit"));
        } catch (const std::exception&) {
          return json_error(res, 400, "limit must be a number");
        }
      }
      std::string out = "{\"commits\":[";
      auto log = plane.history(limit);
      for (size_t i = 0; i < log.size(); ++i) {
        if (i) out += ',';
        out += "\n{\"commit\":" + json_quote(log[i].commit) + ",\"author\":" +
               json_quote(log[i].author) + ",\"time\":" + std::to_string(log[i].time) +
               ",\"summary\":" + json_quote(log[i].summary) + "}";
      }
      res.set_content(out + "\n]}\n", "application/json");
    });

    s.Post(R"(/api/v2/tailnet/([^/]+)/keys)", [this](const Request& req, Response& res) {
      Credential who;
      if (!tailnet_ok(req, res) || !auth(req, res, KeyKind::Api, who)) return;
      rapidjson::Document d;
      d.Parse(req.body.c_str(), req.body.size());
      if (d.HasParseError() || !d.IsObject()) return json_error(res, 400, "body must be a JSON object");
      AuthKeyRequest ak;
      auto it = d.FindMember("capabilities");
      if (it != d.MemberEnd()) {
        const rapidjson::Value& caps = it->value;
        if (!caps.IsObject() || !caps.HasMember("devices") || !caps["devices"].IsObject() ||
            !caps["devices"].HasMember("create") || !caps["devices"]["create"].IsObject())
          return json_error(res, 400, "capabilities must be {\"devices\":{\"create\":{...}}}");
        const rapidjson::Value& c = caps["devices"]["create"];
        if (c.HasMember("reusable")) {
          if (!c["reusable"].IsBool()) return json_error(res, 400, "reusable must be a boolean");
          ak.reusable = c["reusable"].GetBool();
        }
        if (c.HasMember("tags") && !string_list(c["tags"], ak.tags))
          return json_error(res, 400, "tags must be a list of strings");
      }
      if (d.HasMember("expirySeconds")) {
        if (!d["expirySeconds"].IsUint64()) return json_error(res, 400, "expirySeconds must be a number");
        ak.expiry_seconds = d["expirySeconds"].GetUint64();
      }
      if (d.HasMember("description")) {
        if (!d["description"].IsString()) return json_error(res, 400, "description must be a string");
        ak.description = d["description"].GetString();
      }
      if (d.HasMember("user")) {
        if (!d["user"].IsString()) return json_error(res, 400, "user must be a string");
        ak.user = d["user"].GetString();
      }
      std::string key;
      Credential rec;
      Outcome out = plane.create_auth_key(ak, who, key, rec);
      if (!out.ok()) return send_outcome(res, out);
      log_line("auth key " + rec.id + " created by " + who.name);
      std::string body = "{\"id\":" + json_quote(rec.id) + ",\"key\":" + json_quote(key) +
                         ",\"created\":" + std::to_string(rec.created) +
                         ",\"expires\":" + std::to_string(rec.expires) +
                         ",\"capabilities\":{\"devices\":{\"create\":{\"reusable\":" +
                         (rec.reusable ? "true" : "false") + ",\"tags\":" + put_list(rec.tags) +
                         "}}},\"user\":" + json_quote(rec.user) + "}\n";
      sodium_memzero(key.data(), key.size());
      res.set_content(body, "application/json");
    });

    s.Get(R"(/api/v2/tailnet/([^/]+)/devices)", [this](const Request& req, Response& res) {
      Credential who;
      if (!tailnet_ok(req, res) || !auth(req, res, KeyKind::Api, who)) return;
      res.set_content(plane.devices_json(), "application/json");
    });

    s.Delete(R"(/api/v2/device/([^/]+))", [this](const Request& req, Response& res) {
      Credential who;
      if (!auth(req, res, KeyKind::Api, who)) return;
      std::string id = req.matches[1];
      auto dev = plane.device(id);
      Outcome out = plane.revoke_device(id);
      if (!out.ok()) return send_outcome(res, out);
      log_line("device " + id + " (" + (dev ? dev->hostname : "?") + ") revoked by " + who.name);
      res.set_content("{}\n", "application/json");
    });

    s.Post("/api/v2/machine/register", [this](const Request& req, Response& res) {
      Credential key;
      if (!auth(req, res, KeyKind::Auth, key)) return;
      rapidjson::Document d;
      d.Parse(req.body.c_str(), req.body.size());
      if (d.HasParseError() || !d.IsObject() || !d.HasMember("hostname") ||
          !d["hostname"].IsString() || !d.HasMember("wireguardPublicKey") ||
          !d["wireguardPublicKey"].IsString())
        return json_error(res, 400,
                          "body must be {\"hostname\": ..., \"wireguardPublicKey\": ..., "
                          "\"endpoints\": [\"host:port\", ...]}");
      RegisterRequest r;
      r.hostname = d["hostname"].GetString();
      r.wireguard_key = d["wireguardPublicKey"].GetString();
      if (d.HasMember("endpoints") && !string_list(d["endpoints"], r.endpoints))
        return json_error(res, 400, "endpoints must be a list of \"host:port\" strings");
      Registered reg;
      Outcome out = plane.register_device(key, r, reg);
      if (!out.ok()) return send_outcome(res, out);
      log_line("device " + reg.device.id + " (" + reg.device.hostname + ") registered with auth key " +
               key.id);
      std::string body = "{\"id\":" + json_quote(reg.device.id) +
                         ",\"hostname\":" + json_quote(reg.device.hostname) +
                         ",\"addresses\":" + put_list({reg.device.ipv4, reg.device.ipv6}) +
                         ",\"user\":" + json_quote(reg.device.user) +
                         ",\"tags\":" + put_list(reg.device.tags) +
                         ",\"nodeKey\":" + json_quote(reg.node_key) +
                         ",\"controlPublicKey\":" + json_quote(plane.control_public_key()) + "}\n";
      sodium_memzero(reg.node_key.data(), reg.node_key.size());
      res.set_content(body, "application/json");
    });

    s.Get("/api/v2/node/bundle", [this](const Request& req, Response& res) {
      Credential node;
      if (!auth(req, res, KeyKind::Node, node)) return;
      auto dev = plane.device(node.device_id);
      if (!dev) return json_error(res, 401, "invalid credentials: unknown or revoked key");
      unsigned wait = 0;
      if (req.has_param("wait")) {
        try {
          unsigned long w = std::stoul(req.get_param_value("wait"));
          wait = unsigned(std::min<unsigned long>(w, o.max_wait));
        } catch (const std::exception&) {
          return json_error(res, 400, "wait must be a number of seconds");
        }
      }
      std::string seen = req.get_header_value("If-None-Match");
      auto b = plane.publisher().lookup(dev->hostname);
      if (b && !seen.empty() && none_match_hits(seen, b->etag) && wait > 0 && !stopping)
        b = plane.publisher().wait_for_change(dev->hostname, b->etag, wait);
      // Revoked while waiting: the key is dead now.
      if (!plane.device(node.device_id))
        return json_error(res, 401, "invalid credentials: unknown or revoked key");
      if (!b) return json_error(res, 404, "no bundle for this device yet");
      res.set_header("ETag", quote_etag(b->etag));
      res.set_header("Cache-Control", "no-store");
      if (!seen.empty() && none_match_hits(seen, b->etag)) {
        res.status = 304;
        return;
      }
      res.set_content(*b->bytes, "application/octet-stream");
    });
  }

  void setup() {
    httplib::Server& s = *http;
    unsigned threads = o.threads;
    s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    s.set_payload_max_length(o.max_body);
    s.set_read_timeout(10, 0);
    s.set_write_timeout(10, 0);
    s.set_exception_handler([](const Request&, Response& res, std::exception_ptr ep) {
      std::string what = "unknown";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      log_line("internal error: " + what);
      json_error(res, 500, "internal server error");
    });
    // Every error answer carries a JSON body, including the ones the
    // library makes (413 oversized, 404 no such route, 400 bad request).
    s.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const Request&, Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string m;
      switch (res.status) {
        case 404: m = "not found"; break;
        case 413: m = "request body too large (limit " + std::to_string(o.max_body) + " bytes)"; break;
        case 405: m = "method not allowed"; break;
        case 414: m = "request URI too long"; break;
        default: m = "bad request"; break;
      }
      json_error(res, res.status, m);
      return httplib::Server::HandlerResponse::Handled;
    }));
    s.set_logger([](const Request& req, const Response& res) {
      log_line(req.remote_addr + " " + req.method + " " + req.path + " " +
               std::to_string(res.status));
    });
    routes();
  }
};

Server::Server(ControlPlane& plane, ServerOptions o) : impl_(std::make_unique<Impl>(plane, std::move(o))) {}

Server::~Server() {
  stop();
  if (impl_->refresher.joinable()) impl_->refresher.join();
}

int Server::bind(std::string& error) {
  Impl& m = *impl_;
  if (!m.o.tls_cert.empty() || !m.o.tls_key.empty()) {
    if (m.o.tls_cert.empty() || m.o.tls_key.empty()) {
      error = "TLS needs both --tls-cert and --tls-key";
      return -1;
    }
    m.http = std::make_unique<httplib::SSLServer>(m.o.tls_cert.c_str(), m.o.tls_key.c_str());
  } else {
    m.http = std::make_unique<httplib::Server>();
  }
  if (!m.http->is_valid()) {
    error = "cannot load the TLS certificate " + m.o.tls_cert + " or key " + m.o.tls_key;
    return -1;
  }
  m.setup();
  // The library's listen backlog is compiled into Debian's shared build
  // (CPPHTTPLIB_LISTEN_BACKLOG = 5), so defining the macro here would change
  // nothing. Instead, remember the socket the library binds (its socket
  // options hook sees each candidate just before bind; the last one is the
  // one that bound) and listen on it again: on Linux, listen() on a
  // listening socket sets its backlog anew.
  int bound = -1;
  m.http->set_socket_options([&bound](int sock) {
    httplib::default_socket_options(sock);
    bound = sock;
  });
  int port = m.o.port;
  if (port == 0) {
    port = m.http->bind_to_any_port(m.o.host);
  } else if (!m.http->bind_to_port(m.o.host, port)) {
    port = -1;
  }
  m.http->set_socket_options(httplib::default_socket_options);
  if (port < 0) {
    error = "cannot listen on " + m.o.host + ":" + std::to_string(m.o.port);
    return -1;
  }
  if (bound < 0 || ::listen(bound, m.o.listen_backlog) != 0) {
    error = "cannot set the listen backlog of " + m.o.host + ":" + std::to_string(port) + ": " +
            std::strerror(errno);
    return -1;
  }
  return port;
}

bool Server::run() {
  Impl& m = *impl_;
  // `serving` is set before `stopping` is read here, and stop() sets
  // `stopping` before it reads `serving`: one of the two sees the other.
  m.serving = true;
  if (m.stopping) {
    m.serving = false;
    return true;
  }
  // Bundles expire (their TTL); refresh them before nodes would reject them.
  m.refresher = std::thread([&m] {
    while (!m.stopping) {
      for (int i = 0; i < 60 && !m.stopping; ++i) std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!m.stopping) m.plane.refresh_if_due();
    }
  });
  bool ok = m.http->listen_after_bind();
  m.serving = false;
  return ok;
}

void Server::stop() {
  Impl& m = *impl_;
  if (m.stopping.exchange(true)) return;
  m.plane.publisher().shutdown();
  if (!m.http) return;
  // httplib's stop() does nothing until its accept loop runs: a SIGTERM
  // just after start would be lost and the server would serve on. Wait for
  // the loop if run() is entering it.
  while (m.serving && !m.http->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  m.http->stop();
}

}  // namespace aclc::control
