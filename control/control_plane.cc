#include "control/control_plane.h"

#include <sodium.h>

#include <ctime>

#include "control/crash_point.h"
#include "control/policy_check.h"
#include "control/unknown_users.h"

namespace aclc::control {
namespace {

uint64_t unix_now() { return uint64_t(std::time(nullptr)); }

std::string random_id() {
  unsigned char raw[8];
  randombytes_buf(raw, sizeof raw);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

Outcome fail(Fault f, std::string message) { return Outcome{f, std::move(message), ""}; }

bool valid_tag(const std::string& t) {
  if (t.size() <= 4 || t.compare(0, 4, "tag:") != 0) return false;
  for (size_t i = 4; i < t.size(); ++i) {
    char c = t[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-'))
      return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<ControlPlane> ControlPlane::open(const Options& o, bundle::SigningKey key,
                                                 std::string& error) {
  std::unique_ptr<ControlPlane> cp(new ControlPlane());
  cp->opt_ = o;
  if (!cp->lock_.acquire(o.state_dir, error)) return nullptr;
  if (!cp->history_.open(o.state_dir, error)) return nullptr;
  auto state = load_state(o.state_dir, error);
  if (!state) return nullptr;
  cp->state_ = std::move(*state);
  cp->control_public_key_ = bundle::public_key_to_text(key.public_key());
  while (!cp->control_public_key_.empty() && cp->control_public_key_.back() == '\n')
    cp->control_public_key_.pop_back();
  cp->publisher_ = std::make_unique<Publisher>(o.state_dir, std::move(key), o.bundle_ttl, o.verify);
  if (!cp->publisher_->load(error)) return nullptr;
  auto cur = cp->history_.current(error);
  if (!cur) return nullptr;
  const Published& pub = cp->publisher_->published();
  if (pub.commit != cur->commit || pub.generation != cp->state_.generation ||
      cp->publisher_->due_for_refresh(unix_now())) {
    if (!cp->republish(error)) return nullptr;
  }
  return cp;
}

bool ControlPlane::republish(std::string& error) {
  auto cur = history_.current(error);
  if (!cur) return false;
  auto checked = check_policy(cur->text, inventory_json(state_.devices), opt_.dialect);
  if (!checked->valid) {
    const Diagnostic* d = checked->diags.first_error();
    error = "the current policy (" + cur->commit.substr(0, 12) +
            ") does not validate against the registry: " +
            (d ? positioned_message(*d) : std::string("test(s) failed"));
    return false;
  }
  auto staged = publisher_->stage(*checked, policy_etag(cur->text), error);
  if (!staged) return false;
  return publisher_->install(std::move(*staged), cur->commit, state_.generation, error);
}

void ControlPlane::refresh_if_due() {
  std::lock_guard lock(mu_);
  if (!publisher_->due_for_refresh(unix_now())) return;
  std::string error;
  if (!republish(error)) std::fprintf(stderr, "aclc serve: bundle refresh failed: %s\n", error.c_str());
}

// --- credentials

Outcome ControlPlane::authenticate(const std::string& key, KeyKind want, Credential& who) {
  std::lock_guard lock(mu_);
  size_t index = 0;
  switch (control::authenticate(state_.keys, key, want, unix_now(), index)) {
    case AuthResult::Ok:
      who = state_.keys[index];
      return {};
    case AuthResult::Malformed:
      return fail(Fault::Unauthorized, "invalid credentials: not an aclc key");
    case AuthResult::Unknown:
      return fail(Fault::Unauthorized, "invalid credentials: unknown or revoked key");
    case AuthResult::WrongKind:
      return fail(Fault::Forbidden, std::string("this ") + key_kind_name(state_.keys[index].kind) +
                                        " key may not do this (needs an " + key_kind_name(want) +
                                        " key)");
    case AuthResult::Expired:
      return fail(Fault::Forbidden, "key expired or already used");
  }
  return fail(Fault::Unauthorized, "invalid credentials");
}

Outcome ControlPlane::create_auth_key(const AuthKeyRequest& req, const Credential& admin,
                                      std::string& key, Credential& record) {
  for (const std::string& t : req.tags)
    if (!valid_tag(t)) return fail(Fault::BadRequest, "\"" + t + "\" is not a tag (want \"tag:<name>\")");
  if (req.expiry_seconds == 0 || req.expiry_seconds > 90ull * 24 * 3600)
    return fail(Fault::BadRequest, "expirySeconds must be between 1 and 7776000 (90 days)");
  std::lock_guard lock(mu_);
  ControlState next = state_;
  Credential c;
  uint64_t now = unix_now();
  key = make_key(KeyKind::Auth, c, now);
  c.name = req.description;
  c.expires = now + req.expiry_seconds;
  c.reusable = req.reusable;
  c.tags = req.tags;
  c.user = req.user.empty() ? admin.name : req.user;
  next.keys.push_back(c);
  std::string error;
  if (!save_state(opt_.state_dir, next, error)) {
    sodium_memzero(key.data(), key.size());
    key.clear();
    return fail(Fault::Internal, error);
  }
  state_ = std::move(next);
  record = c;
  return {};
}

// --- policy

PolicyView ControlPlane::current() {
  std::lock_guard lock(mu_);
  std::string error;
  auto cur = history_.current(error);
  PolicyView v;
  if (!cur) return v;
  v.text = cur->text;
  v.etag = policy_etag(cur->text);
  v.commit = cur->commit;
  v.is_default = cur->is_default;
  return v;
}

Outcome ControlPlane::validate(const std::string& text, std::string& body) {
  std::string inventory;
  {
    std::lock_guard lock(mu_);
    inventory = inventory_json(state_.devices);
  }
  auto checked = check_policy(text, inventory, opt_.dialect);
  body = checked->valid ? "" : checked->error_body;
  return {};
}

Outcome ControlPlane::run_tests(const std::string& tests_body, std::string& body) {
  std::string text, inventory, error;
  {
    std::lock_guard lock(mu_);  // the policy and the devices of one moment
    auto cur = history_.current(error);
    if (!cur) return fail(Fault::Internal, error);
    text = cur->text;
    inventory = inventory_json(state_.devices);
  }
  TestsRun run = run_tests_against(text, tests_body, inventory, opt_.dialect);
  if (!run.request_error.empty()) return fail(Fault::BadRequest, run.request_error);
  body = run.error_body;
  return {};
}

PolicyDetails ControlPlane::details() {
  PolicyDetails out;
  std::string inventory, error;
  std::vector<std::string> logins;
  {
    std::lock_guard lock(mu_);  // the policy and the devices of one moment
    auto cur = history_.current(error);
    if (!cur) {
      out.errors.push_back("cannot read the current policy: " + error);
      return out;
    }
    out.view = PolicyView{cur->text, policy_etag(cur->text), cur->commit, cur->is_default};
    inventory = inventory_json(state_.devices);
    for (const Credential& c : state_.keys) {
      if (c.kind == KeyKind::Api) logins.push_back(c.name);
      if (c.kind == KeyKind::Auth && !c.user.empty()) logins.push_back(c.user);
    }
    for (const RegisteredDevice& d : state_.devices)
      if (!d.user.empty()) logins.push_back(d.user);
  }
  auto checked = check_policy(out.view.text, inventory, opt_.dialect);
  Diagnostics diags = checked->diags;
  if (checked->policy) warn_unknown_group_members(*checked->policy, logins, diags);
  for (const Diagnostic& d : diags.items()) {
    // A position names a place in the policy; the registry's own text (where
    // a device's findings point) is nobody's file.
    std::string m = d.file == "registry" ? d.message : positioned_message(d);
    if (d.severity == Severity::Error) out.errors.push_back(std::move(m));
    if (d.severity == Severity::Warning) out.warnings.push_back(std::move(m));
  }
  return out;
}

Outcome ControlPlane::set_policy(const std::string& text, const IfMatch& if_match,
                                 const Credential& admin, PolicyView& now) {
  std::lock_guard lock(mu_);
  return write_policy(text, if_match, admin.name, "Set policy", now);
}

Outcome ControlPlane::rollback(const std::string& rev, const IfMatch& if_match,
                               const Credential& admin, PolicyView& now) {
  std::lock_guard lock(mu_);
  std::string error;
  auto target = history_.at(rev, error);
  if (!target) return fail(Fault::NotFound, error);
  return write_policy(target->text, if_match, admin.name,
                      "Roll back to " + target->commit.substr(0, 12) + " (" + rev + ")", now);
}

Outcome ControlPlane::write_policy(const std::string& text, const IfMatch& if_match,
                                   const std::string& author, const std::string& what,
                                   PolicyView& now) {
  std::string error;
  auto cur = history_.current(error);
  if (!cur) return fail(Fault::Internal, error);
  std::string cur_etag = policy_etag(cur->text);
  if (!if_match.matches(cur_etag, cur->is_default))
    return fail(Fault::PreconditionFailed, "precondition failed, invalid old hash");
  std::string etag = policy_etag(text);
  now.text = text;
  now.etag = etag;
  if (text == cur->text) {  // nothing to record
    now.commit = cur->commit;
    now.is_default = cur->is_default;
    return {};
  }
  auto checked = check_policy(text, inventory_json(state_.devices), opt_.dialect);
  if (!checked->valid) return Outcome{Fault::Invalid, "", checked->error_body};
  auto staged = publisher_->stage(*checked, etag, error);
  if (!staged) return fail(Fault::Internal, "cannot build the bundles: " + error);
  crash_point("before-commit");
  std::string message = what + "\n\nETag: \"" + etag + "\"\nBy: " + author + "\n";
  auto commit = history_.commit(cur->commit, text, author, message, error);
  if (!commit) {
    publisher_->discard(*staged);
    return fail(Fault::Internal, error);
  }
  crash_point("after-commit");
  now.commit = *commit;
  now.is_default = false;
  if (!publisher_->install(std::move(*staged), *commit, state_.generation, error)) {
    // The policy is committed; the next start republishes its bundles.
    std::fprintf(stderr, "aclc serve: policy %s committed but its bundles not installed: %s\n",
                 commit->c_str(), error.c_str());
    return fail(Fault::Internal, "policy saved, but its bundles could not be installed: " + error);
  }
  return {};
}

std::vector<HistoryEntry> ControlPlane::history(size_t limit) {
  std::lock_guard lock(mu_);
  std::string error;
  return history_.log(limit, error);
}

// --- registry

Outcome ControlPlane::change_registry(ControlState next) {
  std::string error;
  auto cur = history_.current(error);
  if (!cur) return fail(Fault::Internal, error);
  next.generation = state_.generation + 1;
  auto checked = check_policy(cur->text, inventory_json(next.devices), opt_.dialect);
  if (!checked->valid) {
    const Diagnostic* d = checked->diags.first_error();
    return fail(Fault::Conflict, "the current policy does not accept this change: " +
                                     (d ? positioned_message(*d) : std::string("test(s) failed")));
  }
  auto staged = publisher_->stage(*checked, policy_etag(cur->text), error);
  if (!staged) return fail(Fault::Internal, "cannot build the bundles: " + error);
  if (!save_state(opt_.state_dir, next, error)) {
    publisher_->discard(*staged);
    return fail(Fault::Internal, error);
  }
  state_ = std::move(next);
  if (!publisher_->install(std::move(*staged), cur->commit, state_.generation, error))
    return fail(Fault::Internal, "registry saved, but the bundles could not be installed: " + error);
  return {};
}

Outcome ControlPlane::register_device(const Credential& auth_key, const RegisterRequest& req,
                                      Registered& out) {
  if (!valid_hostname(req.hostname))
    return fail(Fault::BadRequest,
                "hostname must be 1-63 characters of a-z, 0-9 and '-', not starting or ending "
                "with '-'");
  if (!valid_wireguard_key(req.wireguard_key))
    return fail(Fault::BadRequest, "wireguardPublicKey must be the base64 of a 32-byte key");
  for (const std::string& e : req.endpoints)
    if (!valid_endpoint(e)) return fail(Fault::BadRequest, "endpoint \"" + e + "\" is not host:port");
  std::lock_guard lock(mu_);
  for (const RegisteredDevice& d : state_.devices) {
    if (d.hostname == req.hostname)
      return fail(Fault::Conflict, "a device named \"" + req.hostname + "\" is already registered");
    if (d.wireguard_key == req.wireguard_key)
      return fail(Fault::Conflict, "this WireGuard key is already registered (device \"" +
                                       d.hostname + "\")");
  }
  // Re-check the auth key under the lock: a one-off key must register once.
  size_t index = 0;
  bool usable = false;
  for (size_t i = 0; i < state_.keys.size(); ++i)
    if (state_.keys[i].id == auth_key.id && state_.keys[i].kind == KeyKind::Auth) {
      index = i;
      usable = state_.keys[i].reusable || !state_.keys[i].used;
    }
  if (!usable) return fail(Fault::Forbidden, "key expired or already used");
  auto addrs = addresses_for(state_.next_address);
  if (!addrs) return fail(Fault::Conflict, "the address range 100.64.0.0/10 is exhausted");

  ControlState next = state_;
  RegisteredDevice d;
  d.id = random_id();
  d.hostname = req.hostname;
  d.tags = auth_key.tags;
  d.user = auth_key.tags.empty() ? auth_key.user : "";
  d.wireguard_key = req.wireguard_key;
  d.endpoints = req.endpoints;
  d.ipv4 = addrs->first;
  d.ipv6 = addrs->second;
  d.created = unix_now();
  next.devices.push_back(d);
  next.next_address++;
  next.keys[index].used = true;
  Credential node;
  std::string node_key = make_key(KeyKind::Node, node, d.created);
  node.name = d.hostname;
  node.device_id = d.id;
  next.keys.push_back(node);
  Outcome o = change_registry(std::move(next));
  if (!o.ok() && state_.find_device_by_id(d.id) == nullptr) {
    sodium_memzero(node_key.data(), node_key.size());
    return o;
  }
  out.device = d;
  out.node_key = std::move(node_key);
  return o;
}

Outcome ControlPlane::revoke_device(const std::string& id) {
  std::lock_guard lock(mu_);
  if (!state_.find_device_by_id(id)) return fail(Fault::NotFound, "device not found");
  ControlState next = state_;
  std::erase_if(next.devices, [&](const RegisteredDevice& d) { return d.id == id; });
  // Its own key dies with it.
  std::erase_if(next.keys, [&](const Credential& c) {
    return c.kind == KeyKind::Node && c.device_id == id;
  });
  return change_registry(std::move(next));
}

std::string ControlPlane::devices_json() {
  std::lock_guard lock(mu_);
  return inventory_json(state_.devices);
}

std::optional<RegisteredDevice> ControlPlane::device(const std::string& id) {
  std::lock_guard lock(mu_);
  const RegisteredDevice* d = state_.find_device_by_id(id);
  if (!d) return std::nullopt;
  return *d;
}

std::optional<std::string> create_api_key_offline(const std::string& state_dir,
                                                  const std::string& name, std::string& error) {
  if (name.empty()) {
    error = "an API key needs a name (who uses it; it becomes the author of their commits)";
    return std::nullopt;
  }
  StateLock lock;
  if (!lock.acquire(state_dir, error)) return std::nullopt;
  auto state = load_state(state_dir, error);
  if (!state) return std::nullopt;
  Credential c;
  std::string key = make_key(KeyKind::Api, c, unix_now());
  c.name = name;
  state->keys.push_back(c);
  if (!save_state(state_dir, *state, error)) return std::nullopt;
  return key;
}

}  // namespace aclc::control
