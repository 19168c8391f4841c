#include "runtime/uapi/protocol.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <tuple>

#include "runtime/uapi/endpoint_text.h"
#include "runtime/uapi/key_hex.h"

namespace aclc::runtime::uapi {

namespace {

// Go's strconv.ParseUint(value, 10, bits): decimal digits only, no sign,
// leading zeros allowed, at most `max`.
bool parse_unsigned(std::string_view value, uint64_t max, uint64_t* out) {
  if (value.empty()) return false;
  uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = uint64_t(c - '0');
    if (n > (max - digit) / 10) return false;
    n = n * 10 + digit;
  }
  *out = n;
  return true;
}

// A key name or non-secret value as it may appear in a log line: printable
// ASCII, quoted, cut at 48 bytes.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < 48; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > 48) out += "...";
  return out + "\"";
}

auto prefix_key(const AllowedIp& p) { return std::tie(p.family, p.address, p.bits); }

void append_key_line(std::string* out, std::string_view name, std::span<const uint8_t, 32> key) {
  char hex[kKeyHexLength];
  key_to_hex(key, hex);
  out->append(name);
  out->push_back('=');
  out->append(hex, sizeof hex);
  out->push_back('\n');
  sodium_memzero(hex, sizeof hex);
}

void append_number_line(std::string* out, std::string_view name, uint64_t value) {
  out->append(name);
  out->push_back('=');
  out->append(std::to_string(value));
  out->push_back('\n');
}

void append_signed_line(std::string* out, std::string_view name, int64_t value) {
  out->append(name);
  out->push_back('=');
  out->append(std::to_string(value));
  out->push_back('\n');
}

void append_text_line(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->push_back('=');
  out->append(value);
  out->push_back('\n');
}

}  // namespace

int SetParser::fail(int error, std::string detail) {
  if (error_ == 0) {
    error_ = error;
    detail_ = "line " + std::to_string(lines_) + ": " + std::move(detail);
  }
  return error_;
}

int SetParser::add_line(std::string_view line) {
  ++lines_;
  if (error_ != 0) return error_;
  if (lines_ > kMaxSetLines)
    return fail(-EMSGSIZE, "more than " + std::to_string(kMaxSetLines) + " lines");
  const size_t equals = line.find('=');
  if (equals == std::string_view::npos) return fail(-EPROTO, "a line without '='");  // not echoed: it may be a key
  const std::string_view key = line.substr(0, equals);
  const std::string_view value = line.substr(equals + 1);
  if (line.size() > kMaxLineBytes)
    return fail(-EINVAL, "line of " + std::to_string(line.size()) + " bytes for key " + quoted(key));
  if (key == "public_key") {
    end_peer();
    if (config_.peers.size() >= kMaxSetPeers)
      return fail(-EMSGSIZE, "more than " + std::to_string(kMaxSetPeers) + " peers");
    Key32 public_key;
    if (!key_from_hex(value, public_key)) return fail(-EINVAL, "public_key is not 64 hex digits");
    config_.peers.emplace_back().public_key = public_key;
    in_peer_ = true;
    return 0;
  }
  return in_peer_ ? peer_line(key, value) : device_line(key, value);
}

int SetParser::device_line(std::string_view key, std::string_view value) {
  uint64_t n = 0;
  if (key == "private_key") {
    wg::Secret<32> private_key;
    if (!key_from_hex(value, private_key.bytes)) return fail(-EINVAL, "private_key is not 64 hex digits");
    config_.private_key = private_key;
  } else if (key == "listen_port") {
    if (!parse_unsigned(value, UINT16_MAX, &n)) return fail(-EINVAL, "bad listen_port " + quoted(value));
    config_.listen_port = static_cast<uint16_t>(n);
  } else if (key == "fwmark") {
    if (!parse_unsigned(value, UINT32_MAX, &n)) return fail(-EINVAL, "bad fwmark " + quoted(value));
    config_.fwmark = static_cast<uint32_t>(n);
  } else if (key == "replace_peers") {
    if (value != "true") return fail(-EINVAL, "replace_peers must be true, not " + quoted(value));
    config_.replace_peers = true;
  } else {
    return fail(-EINVAL, "invalid device key " + quoted(key));
  }
  return 0;
}

int SetParser::peer_line(std::string_view key, std::string_view value) {
  PeerConfig& peer = config_.peers.back();
  // Each value is checked even after remove=true, as wireguard-go checks
  // the lines it applies to its placeholder peer; only keeping them differs.
  const bool keep = !peer_ignored_;
  uint64_t n = 0;
  if (key == "update_only") {
    if (value != "true") return fail(-EINVAL, "update_only must be true, not " + quoted(value));
    if (keep) peer.update_only = true;
  } else if (key == "remove") {
    if (value != "true") return fail(-EINVAL, "remove must be true, not " + quoted(value));
    // The net effect of a section with remove=true is the removal alone.
    const Key32 public_key = peer.public_key;
    const bool update_only = peer.update_only;
    peer = PeerConfig{};
    peer.public_key = public_key;
    peer.update_only = update_only;
    peer.remove = true;
    allowed_ip_ops_.clear();
    allowed_ip_removals_ = false;
    peer_ignored_ = true;
  } else if (key == "preshared_key") {
    wg::Secret<32> psk;
    if (!key_from_hex(value, psk.bytes)) return fail(-EINVAL, "preshared_key is not 64 hex digits");
    if (keep) peer.preshared_key = psk;
  } else if (key == "endpoint") {
    const auto endpoint = parse_endpoint(value);
    if (!endpoint) return fail(-EINVAL, "bad endpoint " + quoted(value));
    if (keep) peer.endpoint = endpoint;
  } else if (key == "persistent_keepalive_interval") {
    if (!parse_unsigned(value, UINT16_MAX, &n))
      return fail(-EINVAL, "bad persistent_keepalive_interval " + quoted(value));
    if (keep) peer.persistent_keepalive = static_cast<uint16_t>(n);
  } else if (key == "replace_allowed_ips") {
    if (value != "true") return fail(-EINVAL, "replace_allowed_ips must be true, not " + quoted(value));
    if (keep) {
      peer.replace_allowed_ips = true;
      allowed_ip_ops_.clear();  // earlier lines of this section are replaced too
      allowed_ip_removals_ = false;
    }
  } else if (key == "allowed_ip") {
    // "-PREFIX" removes (wireguard-go and wireguard-tools since 2025).
    const bool add = value.empty() || value.front() != '-';
    const auto prefix = parse_allowed_ip(add ? value : value.substr(1));
    if (!prefix) return fail(-EINVAL, "bad allowed_ip " + quoted(value));
    if (++allowed_ips_ > kMaxSetAllowedIps)
      return fail(-EMSGSIZE, "more than " + std::to_string(kMaxSetAllowedIps) + " allowed_ip lines");
    if (keep) {
      allowed_ip_ops_.emplace_back(*prefix, add);
      allowed_ip_removals_ |= !add;
    }
  } else if (key == "protocol_version") {
    if (value != "1") return fail(-EINVAL, "unsupported protocol_version " + quoted(value));
  } else {
    return fail(-EINVAL, "invalid peer key " + quoted(key));
  }
  return 0;
}

// Turns the section's allowed_ip lines into the peer's add and remove
// lists. With removals, the last line for each prefix decides, keeping the
// order of those last lines; the lists are then disjoint, so applying them
// in either order means what the lines meant in sequence.
void SetParser::end_peer() {
  if (!in_peer_) return;
  PeerConfig& peer = config_.peers.back();
  if (!allowed_ip_removals_) {
    peer.add_allowed_ips.reserve(allowed_ip_ops_.size());
    for (const auto& [prefix, add] : allowed_ip_ops_) peer.add_allowed_ips.push_back(prefix);
  } else {
    std::set<decltype(prefix_key(AllowedIp{}))> seen;
    std::vector<std::pair<AllowedIp, bool>> last;
    for (auto it = allowed_ip_ops_.rbegin(); it != allowed_ip_ops_.rend(); ++it)
      if (seen.insert(prefix_key(it->first)).second) last.push_back(*it);
    for (auto it = last.rbegin(); it != last.rend(); ++it)
      (it->second ? peer.add_allowed_ips : peer.remove_allowed_ips).push_back(it->first);
  }
  allowed_ip_ops_.clear();
  allowed_ip_removals_ = false;
  peer_ignored_ = false;
  in_peer_ = false;
}

DeviceConfig SetParser::finish() {
  end_peer();
  return std::move(config_);
}

SetResult parse_set(std::string_view text) {
  SetParser parser;
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    if (line.empty()) break;
    parser.add_line(line);
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  SetResult result;
  result.error = parser.error();
  result.detail = parser.detail();
  if (result.error == 0) result.config = parser.finish();
  return result;
}

void append_get(const DeviceStatus& status, std::string* out) {
  // Upper bounds per line group, so that one reservation holds the reply.
  size_t bound = 160 + 32;  // device lines + "errno=0\n\n"
  for (const PeerStatus& peer : status.peers) bound += 512 + 64 * peer.allowed_ips.size();
  out->reserve(out->size() + bound);

  if (status.private_key && !status.private_key->is_zero())
    append_key_line(out, "private_key", status.private_key->view());
  if (status.listen_port != 0) append_number_line(out, "listen_port", status.listen_port);
  if (status.fwmark != 0) append_number_line(out, "fwmark", status.fwmark);
  for (const PeerStatus& peer : status.peers) {
    append_key_line(out, "public_key", peer.public_key);
    append_key_line(out, "preshared_key", peer.preshared_key.view());
    out->append("protocol_version=1\n");
    if (peer.endpoint) append_text_line(out, "endpoint", format_endpoint(*peer.endpoint));
    append_signed_line(out, "last_handshake_time_sec", peer.last_handshake_sec);
    append_signed_line(out, "last_handshake_time_nsec", peer.last_handshake_nsec);
    append_number_line(out, "tx_bytes", peer.tx_bytes);
    append_number_line(out, "rx_bytes", peer.rx_bytes);
    append_number_line(out, "persistent_keepalive_interval", peer.persistent_keepalive);
    for (const AllowedIp& prefix : peer.allowed_ips)
      append_text_line(out, "allowed_ip", format_allowed_ip(prefix));
  }
}

std::string format_get(const DeviceStatus& status) {
  std::string out;
  append_get(status, &out);
  return out;
}

std::string format_set(const DeviceConfig& config) {
  std::string out;
  size_t bound = 160;
  for (const PeerConfig& peer : config.peers)
    bound += 512 + 64 * (peer.add_allowed_ips.size() + peer.remove_allowed_ips.size());
  out.reserve(bound);
  if (config.private_key) append_key_line(&out, "private_key", config.private_key->view());
  if (config.listen_port) append_number_line(&out, "listen_port", *config.listen_port);
  if (config.fwmark) append_number_line(&out, "fwmark", *config.fwmark);
  if (config.replace_peers) out.append("replace_peers=true\n");
  for (const PeerConfig& peer : config.peers) {
    append_key_line(&out, "public_key", peer.public_key);
    if (peer.update_only) out.append("update_only=true\n");
    if (peer.remove) {
      out.append("remove=true\n");
      continue;
    }
    if (peer.preshared_key) append_key_line(&out, "preshared_key", peer.preshared_key->view());
    if (peer.endpoint) append_text_line(&out, "endpoint", format_endpoint(*peer.endpoint));
    if (peer.persistent_keepalive)
      append_number_line(&out, "persistent_keepalive_interval", *peer.persistent_keepalive);
    if (peer.replace_allowed_ips) out.append("replace_allowed_ips=true\n");
    for (const AllowedIp& prefix : peer.add_allowed_ips)
      append_text_line(&out, "allowed_ip", format_allowed_ip(prefix));
    for (const AllowedIp& prefix : peer.remove_allowed_ips)
      append_text_line(&out, "allowed_ip", "-" + format_allowed_ip(prefix));
  }
  return out;
}

std::string format_errno(int error) { return "errno=" + std::to_string(error) + "\n\n"; }

}  // namespace aclc::runtime::uapi
