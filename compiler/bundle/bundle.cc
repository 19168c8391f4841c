#include "compiler/bundle/bundle.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace aclc::bundle {
namespace {

constexpr std::string_view kSecretPrefix = "aclc-ed25519-secret:";
constexpr std::string_view kPublicPrefix = "aclc-ed25519-public:";

// sodium_init() is idempotent and thread-safe; failing means no usable RNG.
void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

u128 family_max(uint8_t family) { return family == 4 ? u128{0xffffffffu} : ~u128{0}; }

u128 prefix_mask(uint8_t family, uint8_t bits) {
  int width = family == 4 ? 32 : 128;
  if (bits == 0) return 0;
  u128 host = bits >= width ? 0 : (family_max(family) >> bits);
  return family_max(family) & ~host;
}

// ---- canonical-form checks, shared by encode and decode ----

template <typename T>
bool check_intervals(const std::vector<std::pair<T, T>>& v, const char* what,
                     std::string& error) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].first > v[i].second) {
      error = std::string(what) + ": interval with first > last";
      return false;
    }
    // Disjoint and not touching: merged intervals are one.
    if (i > 0 && !(v[i - 1].second < v[i].first && v[i - 1].second + 1 < v[i].first)) {
      error = std::string(what) + ": intervals not sorted, disjoint and merged";
      return false;
    }
  }
  return true;
}

bool check_addrset(const AddrSet& s, const char* what, std::string& error) {
  return check_intervals(s.v4, what, error) && check_intervals(s.v6, what, error);
}

bool check_prefix(const Prefix& p, std::string& error) {
  if (p.family != 4 && p.family != 6) {
    error = "prefix family is neither 4 nor 6";
    return false;
  }
  if (p.bits > (p.family == 4 ? 32 : 128)) {
    error = "prefix length out of range";
    return false;
  }
  if (p.addr & ~prefix_mask(p.family, p.bits)) {
    error = "prefix has host bits set";
    return false;
  }
  return true;
}

bool check_filter(const std::vector<Zone>& zones, std::string& error) {
  std::vector<std::pair<uint32_t, uint32_t>> all4;
  std::vector<std::pair<u128, u128>> all6;
  for (const Zone& z : zones) {
    if (z.dsts.empty()) {
      error = "filter: zone with no destinations";
      return false;
    }
    if (!check_addrset(z.dsts, "filter: zone destinations", error)) return false;
    all4.insert(all4.end(), z.dsts.v4.begin(), z.dsts.v4.end());
    all6.insert(all6.end(), z.dsts.v6.begin(), z.dsts.v6.end());
    if (z.classes.empty()) {
      error = "filter: zone with no protocol classes";
      return false;
    }
    std::vector<bool> seen(256, false);
    for (const ProtoClass& c : z.classes) {
      if (c.protos.empty()) {
        error = "filter: protocol class with no protocols";
        return false;
      }
      for (size_t i = 0; i < c.protos.size(); ++i) {
        if (i > 0 && c.protos[i - 1] >= c.protos[i]) {
          error = "filter: protocols not strictly ascending";
          return false;
        }
        if (seen[c.protos[i]]) {
          error = "filter: protocol " + std::to_string(c.protos[i]) +
                  " in two classes of one zone";
          return false;
        }
        seen[c.protos[i]] = true;
      }
      if (c.cells.empty()) {
        error = "filter: protocol class with no port cells";
        return false;
      }
      for (size_t i = 0; i < c.cells.size(); ++i) {
        const Cell& cell = c.cells[i];
        if (cell.port_first > cell.port_last) {
          error = "filter: port cell with first > last";
          return false;
        }
        if (i > 0 && c.cells[i - 1].port_last >= cell.port_first) {
          error = "filter: port cells not ascending and disjoint";
          return false;
        }
        if (cell.sources.empty()) {
          error = "filter: port cell with no sources";
          return false;
        }
        if (!check_addrset(cell.sources, "filter: cell sources", error)) return false;
      }
    }
  }
  // Zones are disjoint: the union of their intervals never overlaps.
  std::sort(all4.begin(), all4.end());
  std::sort(all6.begin(), all6.end());
  for (size_t i = 1; i < all4.size(); ++i)
    if (all4[i - 1].second >= all4[i].first) {
      error = "filter: zones overlap";
      return false;
    }
  for (size_t i = 1; i < all6.size(); ++i)
    if (all6[i - 1].second >= all6[i].first) {
      error = "filter: zones overlap";
      return false;
    }
  return true;
}

bool check_bundle(const Bundle& b, std::string& error) {
  for (const Prefix& p : b.addresses)
    if (!check_prefix(p, error)) return false;
  if (b.issued_at > b.expires_at) {
    error = "issued after it expires";
    return false;
  }
  if (!check_filter(b.filter, error)) return false;
  for (const Peer& p : b.peers)
    for (const Prefix& q : p.allowed_ips)
      if (!check_prefix(q, error)) return false;
  return true;
}

// ---- writer ----

class Writer {
 public:
  std::vector<uint8_t> out;
  std::string error;

  void u8(uint8_t v) { out.push_back(v); }
  void u16(uint16_t v) { be(v, 2); }
  void u32(uint32_t v) { be(v, 4); }
  void u64(uint64_t v) { be(v, 8); }
  void u128be(u128 v) {
    for (int i = 15; i >= 0; --i) out.push_back(uint8_t(v >> (8 * i)));
  }
  void bytes(const uint8_t* p, size_t n) { out.insert(out.end(), p, p + n); }

  // A count that must fit its field.
  bool count(size_t n, int width, const char* what) {
    uint64_t max = width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;
    if (n > max) {
      error = std::string(what) + ": " + std::to_string(n) + " does not fit the format";
      return false;
    }
    be(n, width);
    return true;
  }
  bool str16(const std::string& s, const char* what) {
    if (!count(s.size(), 2, what)) return false;
    bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    return true;
  }
  // LEB128: 7 bits per byte, low bits first, high bit = more follows.
  void varint(u128 v) {
    do {
      uint8_t b = uint8_t(v & 0x7f);
      v >>= 7;
      out.push_back(v ? uint8_t(b | 0x80) : b);
    } while (v);
  }
  // Intervals as gaps and spans from the previous interval (see
  // docs/bundle-format.md): scattered device addresses cost a few bytes
  // each instead of 8 or 32. The caller has checked they are canonical.
  template <typename T>
  void intervals(const std::vector<std::pair<T, T>>& v) {
    varint(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      u128 first = v[i].first, last = v[i].second;
      varint(i == 0 ? first : first - u128(v[i - 1].second) - 2);
      varint(last - first);
    }
  }
  bool addrset(const AddrSet& s) {
    intervals(s.v4);
    intervals(s.v6);
    return true;
  }
  void prefix(const Prefix& p) {
    u8(p.family);
    u8(p.bits);
    if (p.family == 4) u32(uint32_t(p.addr));
    else u128be(p.addr);
  }

 private:
  void be(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) out.push_back(uint8_t(v >> (8 * i)));
  }
};

// ---- reader: every read is bounds-checked; the first failure sticks ----

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  size_t remaining() const { return in_.size() - pos_; }
  size_t pos() const { return pos_; }

  void fail(std::string what) {
    if (error_.empty()) error_ = std::move(what) + " (at byte " + std::to_string(pos_) + ")";
  }

  bool take(size_t n, const char* what) {
    if (!ok()) return false;
    if (remaining() < n) {
      fail(std::string("truncated: ") + what);
      return false;
    }
    return true;
  }
  uint64_t be(int width, const char* what) {
    if (!take(size_t(width), what)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v = (v << 8) | in_[pos_++];
    return v;
  }
  uint8_t u8(const char* what) { return uint8_t(be(1, what)); }
  uint16_t u16(const char* what) { return uint16_t(be(2, what)); }
  uint32_t u32(const char* what) { return uint32_t(be(4, what)); }
  uint64_t u64(const char* what) { return be(8, what); }
  u128 u128be(const char* what) {
    if (!take(16, what)) return 0;
    u128 v = 0;
    for (int i = 0; i < 16; ++i) v = (v << 8) | in_[pos_++];
    return v;
  }
  void raw(uint8_t* dst, size_t n, const char* what) {
    if (!take(n, what)) return;
    std::memcpy(dst, in_.data() + pos_, n);
    pos_ += n;
  }
  // A count of elements each at least `min_size` bytes: rejected before
  // allocation if the rest of the input cannot hold them.
  size_t count(int width, size_t min_size, const char* what) {
    uint64_t n = be(width, what);
    if (!ok()) return 0;
    if (min_size > 0 && n > remaining() / min_size) {
      fail(std::string("count exceeds the data: ") + what);
      return 0;
    }
    return size_t(n);
  }
  std::string str16(const char* what) {
    size_t n = count(2, 1, what);
    if (!take(n, what)) return {};
    std::string s(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  // Canonical LEB128 (no redundant trailing zero byte) that fits 128 bits.
  u128 varint(const char* what) {
    u128 v = 0;
    for (int shift = 0;; shift += 7) {
      if (!take(1, what)) return 0;
      uint8_t b = in_[pos_++];
      u128 bits = b & 0x7f;
      if (shift >= 128 || (shift > 121 && (bits >> (128 - shift)) != 0)) {
        fail(std::string("number too large: ") + what);
        return 0;
      }
      v |= bits << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift > 0) fail(std::string("number not minimally encoded: ") + what);
        return v;
      }
    }
  }
  // Gap/span intervals, sorted, disjoint and not touching by construction;
  // only overflow past the family's last address is possible.
  template <typename T>
  std::vector<std::pair<T, T>> intervals(u128 max, const char* what) {
    std::vector<std::pair<T, T>> v;
    u128 n = varint(what);
    if (!ok()) return v;
    if (n > remaining() / 2) {  // each interval takes at least two bytes
      fail(std::string("count exceeds the data: ") + what);
      return v;
    }
    v.reserve(size_t(n));
    u128 prev_last = 0;
    for (u128 i = 0; i < n && ok(); ++i) {
      u128 gap = varint(what);
      u128 span = varint(what);
      if (!ok()) break;
      u128 first;
      if (i == 0) {
        first = gap;
        if (first > max) fail(std::string("address out of range: ") + what);
      } else {
        if (prev_last > max - 2 || gap > max - 2 - prev_last) {
          fail(std::string("address out of range: ") + what);
          break;
        }
        first = prev_last + 2 + gap;
      }
      if (!ok() || span > max - first) {
        fail(std::string("address out of range: ") + what);
        break;
      }
      prev_last = first + span;
      v.emplace_back(T(first), T(prev_last));
    }
    return v;
  }
  AddrSet addrset(const char* what) {
    AddrSet s;
    s.v4 = intervals<uint32_t>(u128{0xffffffffu}, what);
    s.v6 = intervals<u128>(~u128{0}, what);
    return s;
  }
  Prefix prefix(const char* what) {
    Prefix p;
    p.family = u8(what);
    p.bits = u8(what);
    if (!ok()) return p;
    if (p.family == 4) p.addr = u32(what);
    else if (p.family == 6) p.addr = u128be(what);
    else fail(std::string(what) + ": address family is neither 4 nor 6");
    return p;
  }

 private:
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  std::string error_;
};

// Smallest encodings, for count checks before allocation.
constexpr size_t kMinZone = 1 + 1 + 2;         // two empty interval lists, class count
constexpr size_t kMinClass = 2 + 1 + 4;        // proto count, one proto, cell count
constexpr size_t kMinCell = 2 + 2 + 1 + 1;     // ports, two interval counts
constexpr size_t kMinPeer = 2 + 1 + 1 + 2;     // name, key flag, endpoints, allowed ips
constexpr size_t kMinPrefix = 2 + 4;

template <typename T>
bool search(const std::vector<std::pair<T, T>>& v, T a) {
  auto it = std::upper_bound(v.begin(), v.end(), a,
                             [](T x, const std::pair<T, T>& r) { return x < r.first; });
  return it != v.begin() && a <= std::prev(it)->second;
}

bool parse_base64_32(std::string_view b64, std::array<uint8_t, 32>& out) {
  size_t len = 0;
  const char* end = nullptr;
  int rc = sodium_base642bin(out.data(), out.size(), b64.data(), b64.size(), nullptr, &len,
                             &end, sodium_base64_VARIANT_ORIGINAL);
  return rc == 0 && len == out.size() && end == b64.data() + b64.size();
}

std::string to_base64(const uint8_t* p, size_t n) {
  std::string s(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(s.data(), s.size(), p, n, sodium_base64_VARIANT_ORIGINAL);
  s.pop_back();  // the terminating NUL
  return s;
}

// The text after `prefix`, without trailing whitespace; nullopt if the
// prefix is missing.
std::optional<std::string_view> key_body(std::string_view text, std::string_view prefix) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t'))
    text.remove_suffix(1);
  if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
  return text.substr(prefix.size());
}

}  // namespace

// ---- AddrSet / Bundle lookups ----

bool AddrSet::contains_v4(uint32_t a) const { return search(v4, a); }
bool AddrSet::contains_v6(u128 a) const { return search(v6, a); }

bool Bundle::allows(uint8_t family, u128 src, u128 dst, uint8_t proto, uint16_t port) const {
  auto in = [&](const AddrSet& s, u128 a) {
    return family == 4 ? (a <= 0xffffffffu && s.contains_v4(uint32_t(a))) : s.contains_v6(a);
  };
  if (family != 4 && family != 6) return false;
  for (const Zone& z : filter) {
    if (!in(z.dsts, dst)) continue;
    for (const ProtoClass& c : z.classes) {
      if (!std::binary_search(c.protos.begin(), c.protos.end(), proto)) continue;
      auto it = std::upper_bound(c.cells.begin(), c.cells.end(), port,
                                 [](uint16_t p, const Cell& x) { return p < x.port_first; });
      if (it == c.cells.begin()) return false;
      const Cell& cell = *std::prev(it);
      return port <= cell.port_last && in(cell.sources, src);
    }
    return false;  // zones are disjoint: no other zone holds dst
  }
  return false;
}

// ---- encode / decode ----

std::optional<std::vector<uint8_t>> encode(const Bundle& b, std::string& error) {
  if (!check_bundle(b, error)) return std::nullopt;
  Writer w;
  w.bytes(kMagic.data(), kMagic.size());
  w.u16(kVersion);
  w.u16(0);  // flags, reserved
  bool ok = w.str16(b.device, "device name") &&
            w.count(b.addresses.size(), 1, "device addresses");
  if (ok) {
    for (const Prefix& p : b.addresses) w.prefix(p);
    ok = w.str16(b.revision, "policy revision");
  }
  if (ok) {
    w.u64(b.serial);
    w.u64(b.issued_at);
    w.u64(b.expires_at);
    ok = w.count(b.filter.size(), 2, "zones");
  }
  for (size_t i = 0; ok && i < b.filter.size(); ++i) {
    const Zone& z = b.filter[i];
    ok = w.addrset(z.dsts) && w.count(z.classes.size(), 2, "protocol classes");
    for (size_t j = 0; ok && j < z.classes.size(); ++j) {
      const ProtoClass& c = z.classes[j];
      ok = w.count(c.protos.size(), 2, "protocols");
      if (!ok) break;
      for (uint8_t p : c.protos) w.u8(p);
      ok = w.count(c.cells.size(), 4, "port cells");
      for (size_t k = 0; ok && k < c.cells.size(); ++k) {
        w.u16(c.cells[k].port_first);
        w.u16(c.cells[k].port_last);
        ok = w.addrset(c.cells[k].sources);
      }
    }
  }
  ok = ok && w.count(b.peers.size(), 4, "peers");
  for (size_t i = 0; ok && i < b.peers.size(); ++i) {
    const Peer& p = b.peers[i];
    ok = w.str16(p.name, "peer name");
    if (!ok) break;
    w.u8(p.wireguard_key ? 1 : 0);
    if (p.wireguard_key) w.bytes(p.wireguard_key->data(), p.wireguard_key->size());
    ok = w.count(p.endpoints.size(), 1, "peer endpoints");
    for (size_t k = 0; ok && k < p.endpoints.size(); ++k)
      ok = w.str16(p.endpoints[k], "peer endpoint");
    ok = ok && w.count(p.allowed_ips.size(), 2, "peer allowed IPs");
    if (ok)
      for (const Prefix& q : p.allowed_ips) w.prefix(q);
  }
  if (!ok) {
    error = w.error;
    return std::nullopt;
  }
  return std::move(w.out);
}

std::optional<Bundle> decode(std::span<const uint8_t> bytes, std::string& error) {
  if (bytes.size() < kMagic.size() + 4 + kSignatureBytes) {
    error = "not a bundle: too short";
    return std::nullopt;
  }
  if (!std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    error = "not a bundle: bad magic";
    return std::nullopt;
  }
  Reader r(bytes.first(bytes.size() - kSignatureBytes));
  uint8_t magic[kMagic.size()];
  r.raw(magic, sizeof magic, "magic");
  uint16_t version = r.u16("version");
  if (r.ok() && version != kVersion) {
    error = "unsupported bundle version " + std::to_string(version) + " (this reader knows " +
            std::to_string(kVersion) + ")";
    return std::nullopt;
  }
  uint16_t flags = r.u16("flags");
  if (r.ok() && flags != 0) r.fail("reserved flags are set");

  Bundle b;
  b.device = r.str16("device name");
  size_t naddr = r.count(1, kMinPrefix, "device addresses");
  for (size_t i = 0; i < naddr && r.ok(); ++i) b.addresses.push_back(r.prefix("device address"));
  b.revision = r.str16("policy revision");
  b.serial = r.u64("serial");
  b.issued_at = r.u64("issued-at");
  b.expires_at = r.u64("expiry");

  size_t nzones = r.count(2, kMinZone, "zones");
  b.filter.reserve(nzones);
  for (size_t i = 0; i < nzones && r.ok(); ++i) {
    Zone z;
    z.dsts = r.addrset("zone destinations");
    size_t nclasses = r.count(2, kMinClass, "protocol classes");
    z.classes.reserve(nclasses);
    for (size_t j = 0; j < nclasses && r.ok(); ++j) {
      ProtoClass c;
      size_t nprotos = r.count(2, 1, "protocols");
      if (nprotos > 256) r.fail("more than 256 protocols");
      for (size_t k = 0; k < nprotos && r.ok(); ++k) c.protos.push_back(r.u8("protocol"));
      size_t ncells = r.count(4, kMinCell, "port cells");
      c.cells.reserve(ncells);
      for (size_t k = 0; k < ncells && r.ok(); ++k) {
        Cell cell;
        cell.port_first = r.u16("port");
        cell.port_last = r.u16("port");
        cell.sources = r.addrset("cell sources");
        c.cells.push_back(std::move(cell));
      }
      z.classes.push_back(std::move(c));
    }
    b.filter.push_back(std::move(z));
  }

  size_t npeers = r.count(4, kMinPeer, "peers");
  b.peers.reserve(npeers);
  for (size_t i = 0; i < npeers && r.ok(); ++i) {
    Peer p;
    p.name = r.str16("peer name");
    uint8_t has_key = r.u8("peer key flag");
    if (r.ok() && has_key > 1) r.fail("peer key flag is neither 0 nor 1");
    if (has_key == 1) {
      std::array<uint8_t, 32> key{};
      r.raw(key.data(), key.size(), "peer key");
      p.wireguard_key = key;
    }
    size_t nend = r.count(1, 2, "peer endpoints");
    for (size_t k = 0; k < nend && r.ok(); ++k) p.endpoints.push_back(r.str16("peer endpoint"));
    size_t nallowed = r.count(2, kMinPrefix, "peer allowed IPs");
    for (size_t k = 0; k < nallowed && r.ok(); ++k)
      p.allowed_ips.push_back(r.prefix("peer allowed IP"));
    b.peers.push_back(std::move(p));
  }
  if (r.ok() && r.remaining() != 0) r.fail("bytes between the peers and the signature");
  if (!r.ok()) {
    error = "malformed bundle: " + r.error();
    return std::nullopt;
  }
  std::string why;
  if (!check_bundle(b, why)) {
    error = "malformed bundle: " + why;
    return std::nullopt;
  }
  return b;
}

// ---- keys ----

SigningKey::SigningKey() = default;

SigningKey SigningKey::generate() {
  ensure_sodium();
  SigningKey k;
  std::array<uint8_t, 32> pk{};
  crypto_sign_keypair(pk.data(), k.sk_.data());
  return k;
}

std::optional<SigningKey> SigningKey::from_text(std::string_view text, std::string& error) {
  ensure_sodium();
  auto body = key_body(text, kSecretPrefix);
  if (!body) {
    error = "not an aclc signing key (expected a line \"" + std::string(kSecretPrefix) +
            "<base64>\", as written by aclc keygen)";
    return std::nullopt;
  }
  std::array<uint8_t, 32> seed{};
  bool ok = parse_base64_32(*body, seed);
  if (!ok) {
    sodium_memzero(seed.data(), seed.size());
    error = "malformed signing key: not the base64 of a 32-byte Ed25519 seed";
    return std::nullopt;
  }
  SigningKey k;
  std::array<uint8_t, 32> pk{};
  crypto_sign_seed_keypair(pk.data(), k.sk_.data(), seed.data());
  sodium_memzero(seed.data(), seed.size());
  return k;
}

SigningKey::SigningKey(SigningKey&& o) noexcept : sk_(o.sk_) {
  sodium_memzero(o.sk_.data(), o.sk_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& o) noexcept {
  if (this != &o) {
    sk_ = o.sk_;
    sodium_memzero(o.sk_.data(), o.sk_.size());
  }
  return *this;
}

SigningKey::~SigningKey() { sodium_memzero(sk_.data(), sk_.size()); }

std::array<uint8_t, kPublicKeyBytes> SigningKey::public_key() const {
  std::array<uint8_t, kPublicKeyBytes> pk{};
  crypto_sign_ed25519_sk_to_pk(pk.data(), sk_.data());
  return pk;
}

std::string SigningKey::to_text() const {
  std::array<uint8_t, 32> seed{};
  crypto_sign_ed25519_sk_to_seed(seed.data(), sk_.data());
  std::string s = std::string(kSecretPrefix) + to_base64(seed.data(), seed.size()) + "\n";
  sodium_memzero(seed.data(), seed.size());
  return s;
}

std::vector<uint8_t> SigningKey::sign(std::vector<uint8_t> body) const {
  ensure_sodium();
  size_t n = body.size();
  body.resize(n + kSignatureBytes);
  crypto_sign_detached(body.data() + n, nullptr, body.data(), n, sk_.data());
  return body;
}

std::string public_key_to_text(const std::array<uint8_t, kPublicKeyBytes>& pk) {
  ensure_sodium();
  return std::string(kPublicPrefix) + to_base64(pk.data(), pk.size()) + "\n";
}

std::optional<std::array<uint8_t, kPublicKeyBytes>> public_key_from_text(std::string_view text,
                                                                         std::string& error) {
  ensure_sodium();
  auto body = key_body(text, kPublicPrefix);
  std::array<uint8_t, kPublicKeyBytes> pk{};
  if (!body || !parse_base64_32(*body, pk)) {
    error = "not an aclc public key (expected \"" + std::string(kPublicPrefix) +
            "<base64 of 32 bytes>\")";
    return std::nullopt;
  }
  return pk;
}

std::optional<std::vector<uint8_t>> seal(const Bundle& b, const SigningKey& key,
                                         std::string& error) {
  auto body = encode(b, error);
  if (!body) return std::nullopt;
  return key.sign(std::move(*body));
}

std::optional<Bundle> open(std::span<const uint8_t> bytes, const Acceptance& want,
                           std::string& error) {
  ensure_sodium();
  if (bytes.size() < kSignatureBytes + kMagic.size()) {
    error = "not a bundle: too short";
    return std::nullopt;
  }
  size_t n = bytes.size() - kSignatureBytes;
  if (crypto_sign_verify_detached(bytes.data() + n, bytes.data(), n,
                                  want.control_key.data()) != 0) {
    error = "bad signature: not signed by the control key";
    return std::nullopt;
  }
  auto b = decode(bytes, error);
  if (!b) return std::nullopt;
  if (!want.device.empty() && b->device != want.device) {
    error = "bundle is for device \"" + b->device + "\", not \"" + want.device + "\"";
    return std::nullopt;
  }
  if (want.have_last && b->serial <= want.last_serial) {
    error = "rollback: serial " + std::to_string(b->serial) +
            " is not greater than the installed serial " + std::to_string(want.last_serial);
    return std::nullopt;
  }
  if (want.now >= b->expires_at) {
    error = "expired at " + std::to_string(b->expires_at) + " (now " +
            std::to_string(want.now) + ")";
    return std::nullopt;
  }
  return b;
}

}  // namespace aclc::bundle
