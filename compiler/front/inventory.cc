#include "compiler/front/inventory.h"

#include <unordered_map>

namespace aclc {
namespace {

class Decoder {
 public:
  Decoder(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  void error(Pos pos, std::string msg, const char* code = "inventory") {
    diags_.error(file_, pos, std::move(msg), code);
  }

  // Finds a member by exact key; nullptr when absent or null.
  static const hujson::Value* member(const hujson::Value& obj, std::string_view key) {
    const hujson::Value* found = nullptr;
    for (const hujson::Member& m : obj.members) {
      if (m.key == key) found = &m.value;  // last duplicate wins, as in Go
    }
    if (found && found->is_null()) return nullptr;
    return found;
  }

  bool expect(const hujson::Value& v, hujson::Kind k, std::string_view what) {
    if (v.kind == k) return true;
    error(v.pos, std::string(what) + ": expected " + hujson::kind_name(k) + ", got " +
                     hujson::kind_name(v.kind));
    return false;
  }

  std::optional<std::string> string_field(const hujson::Value& obj, std::string_view key,
                                          std::string_view ctx) {
    const hujson::Value* v = member(obj, key);
    if (!v) return std::nullopt;
    if (!expect(*v, hujson::Kind::String, std::string(ctx) + "." + std::string(key)))
      return std::nullopt;
    return v->text;
  }

  // An array of strings; each element is passed to `each` with its value.
  template <typename F>
  void string_list(const hujson::Value& obj, std::string_view key, std::string_view ctx, F each) {
    const hujson::Value* v = member(obj, key);
    if (!v) return;
    std::string what = std::string(ctx) + "." + std::string(key);
    if (!expect(*v, hujson::Kind::Array, what)) return;
    for (const hujson::Value& item : v->items) {
      if (!expect(item, hujson::Kind::String, what + "[]")) continue;
      each(item);
    }
  }

  std::optional<Device> device(const hujson::Value& v, size_t index) {
    std::string ctx = "devices[" + std::to_string(index) + "]";
    if (!expect(v, hujson::Kind::Object, ctx)) return std::nullopt;
    Device d;
    d.pos = v.pos;
    size_t errors_before = diags_.error_count();
    auto hostname = string_field(v, "hostname", ctx);
    if (!hostname || hostname->empty()) {
      if (!member(v, "hostname")) error(v.pos, ctx + ": missing \"hostname\"");
      else if (hostname) error(member(v, "hostname")->pos, ctx + ": empty \"hostname\"");
      return std::nullopt;
    }
    d.hostname = *hostname;
    if (auto name = string_field(v, "name", ctx)) {
      d.name = *name;
      d.short_name = d.name.substr(0, d.name.find('.'));
    }
    if (auto user = string_field(v, "user", ctx)) d.user = *user;
    string_list(v, "addresses", ctx, [&](const hujson::Value& s) {
      auto a = parse_addr(s.text);
      if (!a) {
        error(s.pos, ctx + ".addresses: \"" + s.text + "\" is not an IP address");
        return;
      }
      d.addresses.push_back(*a);
    });
    string_list(v, "tags", ctx, [&](const hujson::Value& s) {
      if (s.text.rfind("tag:", 0) != 0 || s.text.size() <= 4) {
        error(s.pos, ctx + ".tags: \"" + s.text + "\" is not a tag (want \"tag:<name>\")");
        return;
      }
      d.tags.push_back(s.text);
    });
    auto routes = [&](std::string_view key, std::vector<Prefix>& out) {
      string_list(v, key, ctx, [&](const hujson::Value& s) {
        auto p = parse_prefix(s.text);
        if (!p) {
          error(s.pos, ctx + "." + std::string(key) + ": \"" + s.text + "\" is not a CIDR prefix");
          return;
        }
        if (!p->is_masked()) {
          error(s.pos, ctx + "." + std::string(key) + ": \"" + s.text +
                           "\" has host bits set (did you mean \"" +
                           to_string(p->masked()) + "\"?)");
          return;
        }
        out.push_back(*p);
      });
    };
    routes("advertisedRoutes", d.advertised_routes);
    routes("enabledRoutes", d.enabled_routes);
    if (auto key = string_field(v, "wireguardPublicKey", ctx)) {
      if (!is_wireguard_key(*key)) {
        error(member(v, "wireguardPublicKey")->pos,
              ctx + ".wireguardPublicKey: not the base64 of a 32-byte key");
      } else {
        d.wireguard_public_key = *key;
      }
    }
    string_list(v, "endpoints", ctx, [&](const hujson::Value& s) {
      size_t colon = s.text.rfind(':');
      bool ok = colon != std::string::npos && colon > 0 && colon + 1 < s.text.size();
      if (ok) {
        unsigned long port = 0;
        for (size_t i = colon + 1; i < s.text.size() && ok; ++i) {
          char c = s.text[i];
          ok = c >= '0' && c <= '9';
          port = port * 10 + static_cast<unsigned long>(c - '0');
          if (port > 65535) ok = false;
        }
        ok = ok && port > 0;
      }
      if (!ok) {
        error(s.pos, ctx + ".endpoints: \"" + s.text + "\" is not \"host:port\"");
        return;
      }
      d.endpoints.push_back(s.text);
    });
    if (diags_.error_count() != errors_before) return std::nullopt;
    return d;
  }

  // Base64 (standard alphabet, padded) of exactly 32 bytes: 44 characters
  // ending in one '='.
  static bool is_wireguard_key(const std::string& s) {
    if (s.size() != 44 || s[43] != '=') return false;
    for (size_t i = 0; i < 43; ++i) {
      char c = s[i];
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '+' || c == '/';
      if (!ok) return false;
    }
    // The last character before '=' carries 4 bits; the low 2 must be zero.
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    return (alphabet.find(s[42]) & 3) == 0;
  }

  void users(const hujson::Value& v, Inventory& inv) {
    if (!expect(v, hujson::Kind::Array, "users")) return;
    std::unordered_map<std::string, Pos> seen;
    for (size_t i = 0; i < v.items.size(); ++i) {
      const hujson::Value& u = v.items[i];
      std::string ctx = "users[" + std::to_string(i) + "]";
      if (!expect(u, hujson::Kind::Object, ctx)) continue;
      User user;
      user.pos = u.pos;
      if (auto n = string_field(u, "name", ctx)) user.name = *n;
      if (auto e = string_field(u, "email", ctx)) user.email = *e;
      if (auto r = string_field(u, "role", ctx)) user.role = *r;
      if (user.name.empty() && user.email.empty()) {
        error(u.pos, ctx + ": a user needs a \"name\" or an \"email\"");
        continue;
      }
      std::string key = normalize_login(user.login());
      auto [it, fresh] = seen.emplace(key, u.pos);
      if (!fresh) {
        error(u.pos, ctx + ": user \"" + user.login() + "\" is listed twice (first at " +
                         format_location(file_, it->second) + ")");
        continue;
      }
      inv.users.push_back(std::move(user));
    }
  }

  Inventory decode(const hujson::Value& root) {
    Inventory inv;
    inv.file = file_;
    if (!expect(root, hujson::Kind::Object, "device list")) return inv;
    const hujson::Value* devices = member(root, "devices");
    if (!devices) {
      error(root.pos, "device list: missing \"devices\" (the shape of GET /api/v2/tailnet/-/devices)");
    } else if (expect(*devices, hujson::Kind::Array, "devices")) {
      std::unordered_map<Addr, size_t> by_addr;
      std::unordered_map<std::string, size_t> by_name;
      for (size_t i = 0; i < devices->items.size(); ++i) {
        auto d = device(devices->items[i], i);
        if (!d) continue;
        bool clash = false;
        for (const Addr& a : d->addresses) {
          auto it = by_addr.find(a);
          if (it != by_addr.end()) {
            const Device& other = inv.devices[it->second];
            error(d->pos, "devices[" + std::to_string(i) + "] \"" + d->hostname +
                              "\": address " + to_string(a) + " is already held by \"" +
                              other.hostname + "\" at " + format_location(file_, other.pos));
            clash = true;
          }
        }
        auto check_name = [&](const std::string& name) {
          if (name.empty()) return;
          auto it = by_name.find(name);
          if (it == by_name.end()) return;
          const Device& other = inv.devices[it->second];
          error(d->pos, "devices[" + std::to_string(i) + "]: device name \"" + name +
                            "\" is already used by the device at " +
                            format_location(file_, other.pos) +
                            " (device names are selectors; rename one)");
          clash = true;
        };
        check_name(d->hostname);
        if (d->short_name != d->hostname) check_name(d->short_name);
        if (clash) continue;
        size_t idx = inv.devices.size();
        for (const Addr& a : d->addresses) by_addr.emplace(a, idx);
        by_name.emplace(d->hostname, idx);
        if (!d->short_name.empty()) by_name.emplace(d->short_name, idx);
        inv.devices.push_back(std::move(*d));
      }
    }
    if (const hujson::Value* u = member(root, "users")) users(*u, inv);
    inv.reindex();
    return inv;
  }

 private:
  const std::string& file_;
  Diagnostics& diags_;
};

}  // namespace

Inventory decode_inventory(const hujson::Value& root, const std::string& file,
                           Diagnostics& diags) {
  return Decoder(file, diags).decode(root);
}

void decode_users(const hujson::Value& users, const std::string& file, Inventory& inv,
                  Diagnostics& diags) {
  Decoder(file, diags).users(users, inv);
  inv.reindex();
}

std::optional<Inventory> parse_inventory(std::string_view text, const std::string& file,
                                         Diagnostics& diags) {
  hujson::Value root;
  try {
    root = hujson::parse(text);
  } catch (const hujson::SyntaxError& e) {
    diags.error(file, e.pos(), e.what(), "syntax");
    return std::nullopt;
  }
  if (!root.is_object()) {
    diags.error(file, root.pos,
                std::string("device list: expected object, got ") + hujson::kind_name(root.kind),
                "inventory");
    return std::nullopt;
  }
  return decode_inventory(root, file, diags);
}

void check_inventory_against_policy(const Inventory& inv, const policy::Policy& pol,
                                    Diagnostics& diags) {
  for (const Device& d : inv.devices) {
    for (const std::string& tag : d.tags) {
      if (!pol.find_tag(tag)) {
        diags.warning(inv.file, d.pos,
                      "device \"" + d.hostname + "\" carries " + tag +
                          ", which no tagOwners entry in " + pol.file + " declares",
                      "undeclared-device-tag",
                      "add \"" + tag + "\" to tagOwners, or remove the tag from the device");
      }
    }
  }
}

}  // namespace aclc
