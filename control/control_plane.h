// The control server's logic, apart from HTTP: the policy (history in git,
// conditional writes, validation, rollback), the credentials, the device
// registry, and the bundles every change republishes. Every change runs
// under one lock, in an order that a crash at any point leaves consistent:
//
//   policy write:  check -> stage bundles -> git commit -> install bundles
//   device change: check -> stage bundles -> state.json -> install bundles
//
// The commit (or the state file) is the point of no return. A crash after
// it leaves bundles built from the previous state; open() notices
// (published.json names another commit or generation) and republishes.
// Nothing is half-applied: git moves HEAD by one rename, state.json and
// each bundle are replaced by one rename.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bundle/bundle.h"
#include "compiler/front/dialect.h"
#include "control/control_state.h"
#include "control/credentials.h"
#include "control/etag.h"
#include "control/policy_history.h"
#include "control/publisher.h"
#include "control/state_lock.h"

namespace aclc::control {

// How an operation failed; the HTTP layer maps each to a status.
enum class Fault {
  None,
  BadRequest,          // 400: malformed input
  Invalid,             // 400: the policy is invalid or its tests fail (body set)
  Unauthorized,        // 401: no key, or not a key we know
  Forbidden,           // 403: a key of the wrong kind, or expired
  NotFound,            // 404
  Conflict,            // 409: a duplicate, or the policy rejects the change
  PreconditionFailed,  // 412: If-Match does not match
  Internal,            // 500
};

struct Outcome {
  Fault fault = Fault::None;
  std::string message;  // for people, in {"message": ...}
  std::string body;     // a full JSON error body when set (Invalid)
  bool ok() const { return fault == Fault::None; }
};

struct PolicyView {
  std::string text;
  std::string etag;    // unquoted
  std::string commit;
  bool is_default = false;
};

// GET /acl?details=1: the policy and what validating it today finds.
struct PolicyDetails {
  PolicyView view;
  // "line L, column C: message" each. Warnings are the front end's (e.g.
  // duplicate keys) plus group members who are no user of the tailnet
  // (control/unknown_users.h); errors stay empty unless the stored policy
  // no longer validates (it always did when it was stored).
  std::vector<std::string> warnings, errors;
};

struct AuthKeyRequest {
  bool reusable = false;
  uint64_t expiry_seconds = 90 * 24 * 3600;
  std::vector<std::string> tags;
  std::string user;  // owner of untagged devices; default: the admin's name
  std::string description;
};

struct RegisterRequest {
  std::string hostname;
  std::string wireguard_key;
  std::vector<std::string> endpoints;
};

struct Registered {
  RegisteredDevice device;
  std::string node_key;  // shown once
};

class ControlPlane {
 public:
  struct Options {
    std::string state_dir;
    Dialect dialect = Dialect::Aclc;
    uint64_t bundle_ttl = 7 * 24 * 3600;  // seconds
    bool verify = true;                   // prove each table before signing
  };

  // Locks the state directory, opens (or creates) the history and the
  // state, loads the bundles, and republishes them if they were not built
  // from the current policy and registry (a crash, an offline rollback).
  static std::unique_ptr<ControlPlane> open(const Options& o, bundle::SigningKey key,
                                            std::string& error);

  // --- credentials
  // Checks a key; on success `who` is a copy of its record.
  Outcome authenticate(const std::string& key, KeyKind want, Credential& who);
  Outcome create_auth_key(const AuthKeyRequest& req, const Credential& admin,
                          std::string& key, Credential& record);

  // --- policy
  PolicyView current();
  Outcome set_policy(const std::string& text, const IfMatch& if_match, const Credential& admin,
                     PolicyView& now);
  // Never changes anything. `body` is "" when the policy is valid, else
  // Tailscale's answer (returned with 200, as Tailscale does).
  Outcome validate(const std::string& text, std::string& body);
  // Tailscale's validate mode A: runs a JSON array of tests against the
  // current policy. BadRequest when the array is malformed; otherwise `body`
  // is "" when every test passed, else the failure answer (200, as
  // validate). Never changes anything.
  Outcome run_tests(const std::string& tests_body, std::string& body);
  PolicyDetails details();
  Outcome rollback(const std::string& rev, const IfMatch& if_match, const Credential& admin,
                   PolicyView& now);
  std::vector<HistoryEntry> history(size_t limit);

  // --- registry
  Outcome register_device(const Credential& auth_key, const RegisterRequest& req,
                          Registered& out);
  Outcome revoke_device(const std::string& id);
  std::string devices_json();
  std::optional<RegisteredDevice> device(const std::string& id);

  // --- bundles
  Publisher& publisher() { return *publisher_; }
  std::string control_public_key() const { return control_public_key_; }
  // Republishes when the bundles in place are past half their lifetime.
  void refresh_if_due();

 private:
  ControlPlane() = default;
  // check -> stage -> commit -> install, for a new policy text.
  Outcome write_policy(const std::string& text, const IfMatch& if_match,
                       const std::string& author, const std::string& what, PolicyView& now);
  // check -> stage -> save state -> install, for a new registry.
  Outcome change_registry(ControlState next);
  bool republish(std::string& error);

  Options opt_;
  StateLock lock_;
  PolicyHistory history_;
  ControlState state_;
  std::unique_ptr<Publisher> publisher_;
  std::string control_public_key_;
  std::mutex mu_;  // every operation
};

// `aclc serve --create-api-key NAME`: adds an API key to DIR's state (the
// server must not be running) and returns it.
std::optional<std::string> create_api_key_offline(const std::string& state_dir,
                                                  const std::string& name, std::string& error);

}  // namespace aclc::control
