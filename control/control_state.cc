#include "control/control_state.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "control/durable_file.h"

namespace aclc::control {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_list(Writer& w, const char* key, const std::vector<std::string>& v) {
  w.Key(key);
  w.StartArray();
  for (const std::string& s : v) w.String(s.c_str(), rapidjson::SizeType(s.size()));
  w.EndArray();
}

void write_str(Writer& w, const char* key, const std::string& v) {
  w.Key(key);
  w.String(v.c_str(), rapidjson::SizeType(v.size()));
}

struct Reader {
  std::string& error;
  bool ok = true;

  const rapidjson::Value* get(const rapidjson::Value& o, const char* key) {
    auto it = o.FindMember(key);
    return it == o.MemberEnd() ? nullptr : &it->value;
  }
  std::string str(const rapidjson::Value& o, const char* key) {
    const rapidjson::Value* v = get(o, key);
    if (!v) return "";
    if (!v->IsString()) return fail(std::string("\"") + key + "\" is not a string"), "";
    return std::string(v->GetString(), v->GetStringLength());
  }
  uint64_t num(const rapidjson::Value& o, const char* key) {
    const rapidjson::Value* v = get(o, key);
    if (!v) return 0;
    if (!v->IsUint64()) return fail(std::string("\"") + key + "\" is not a count"), 0;
    return v->GetUint64();
  }
  bool flag(const rapidjson::Value& o, const char* key) {
    const rapidjson::Value* v = get(o, key);
    if (!v) return false;
    if (!v->IsBool()) return fail(std::string("\"") + key + "\" is not a boolean"), false;
    return v->GetBool();
  }
  std::vector<std::string> list(const rapidjson::Value& o, const char* key) {
    std::vector<std::string> out;
    const rapidjson::Value* v = get(o, key);
    if (!v) return out;
    if (!v->IsArray()) return fail(std::string("\"") + key + "\" is not a list"), out;
    for (const auto& s : v->GetArray()) {
      if (!s.IsString()) return fail(std::string("\"") + key + "\" holds a non-string"), out;
      out.emplace_back(s.GetString(), s.GetStringLength());
    }
    return out;
  }
  void fail(std::string why) {
    if (ok) error = "state file: " + why;
    ok = false;
  }
};

}  // namespace

const RegisteredDevice* ControlState::find_device_by_id(const std::string& id) const {
  for (const RegisteredDevice& d : devices)
    if (d.id == id) return &d;
  return nullptr;
}

std::string state_to_json(const ControlState& s) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("version");
  w.Uint(1);
  w.Key("nextAddress");
  w.Uint64(s.next_address);
  w.Key("generation");
  w.Uint64(s.generation);
  w.Key("keys");
  w.StartArray();
  for (const Credential& c : s.keys) {
    w.StartObject();
    write_str(w, "id", c.id);
    write_str(w, "kind", key_kind_name(c.kind));
    write_str(w, "name", c.name);
    write_str(w, "sha256", hash_to_hex(c.hash));
    w.Key("created");
    w.Uint64(c.created);
    w.Key("expires");
    w.Uint64(c.expires);
    w.Key("reusable");
    w.Bool(c.reusable);
    w.Key("used");
    w.Bool(c.used);
    write_list(w, "tags", c.tags);
    write_str(w, "user", c.user);
    write_str(w, "deviceId", c.device_id);
    w.EndObject();
  }
  w.EndArray();
  w.Key("devices");
  w.StartArray();
  for (const RegisteredDevice& d : s.devices) {
    w.StartObject();
    write_str(w, "id", d.id);
    write_str(w, "hostname", d.hostname);
    write_str(w, "user", d.user);
    write_list(w, "tags", d.tags);
    write_str(w, "wireguardPublicKey", d.wireguard_key);
    write_list(w, "endpoints", d.endpoints);
    write_str(w, "ipv4", d.ipv4);
    write_str(w, "ipv6", d.ipv6);
    w.Key("created");
    w.Uint64(d.created);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize()) + "\n";
}

std::optional<ControlState> state_from_json(const std::string& text, std::string& error) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    error = "state file: not a JSON object";
    return std::nullopt;
  }
  Reader r{error};
  if (r.num(doc, "version") != 1) {
    error = "state file: unknown version (this aclc reads version 1)";
    return std::nullopt;
  }
  ControlState s;
  s.next_address = r.num(doc, "nextAddress");
  s.generation = r.num(doc, "generation");
  if (const rapidjson::Value* keys = r.get(doc, "keys"); keys && keys->IsArray()) {
    for (const auto& k : keys->GetArray()) {
      if (!k.IsObject()) return r.fail("a key is not an object"), std::nullopt;
      Credential c;
      c.id = r.str(k, "id");
      auto kind = key_kind_from_name(r.str(k, "kind"));
      if (!kind) r.fail("key " + c.id + " has an unknown kind");
      else c.kind = *kind;
      c.name = r.str(k, "name");
      if (!hash_from_hex(r.str(k, "sha256"), c.hash)) r.fail("key " + c.id + " has no hash");
      c.created = r.num(k, "created");
      c.expires = r.num(k, "expires");
      c.reusable = r.flag(k, "reusable");
      c.used = r.flag(k, "used");
      c.tags = r.list(k, "tags");
      c.user = r.str(k, "user");
      c.device_id = r.str(k, "deviceId");
      s.keys.push_back(std::move(c));
    }
  }
  if (const rapidjson::Value* devs = r.get(doc, "devices"); devs && devs->IsArray()) {
    for (const auto& v : devs->GetArray()) {
      if (!v.IsObject()) return r.fail("a device is not an object"), std::nullopt;
      RegisteredDevice d;
      d.id = r.str(v, "id");
      d.hostname = r.str(v, "hostname");
      d.user = r.str(v, "user");
      d.tags = r.list(v, "tags");
      d.wireguard_key = r.str(v, "wireguardPublicKey");
      d.endpoints = r.list(v, "endpoints");
      d.ipv4 = r.str(v, "ipv4");
      d.ipv6 = r.str(v, "ipv6");
      d.created = r.num(v, "created");
      if (!valid_hostname(d.hostname)) r.fail("device " + d.id + " has an invalid hostname");
      s.devices.push_back(std::move(d));
    }
  }
  if (s.next_address == 0) r.fail("\"nextAddress\" must be at least 1");
  if (!r.ok) return std::nullopt;
  return s;
}

std::optional<ControlState> load_state(const std::string& dir, std::string& error) {
  bool missing = false;
  auto text = read_whole(dir + "/state.json", error, &missing);
  if (!text) {
    if (missing) return ControlState{};
    return std::nullopt;
  }
  return state_from_json(*text, error);
}

bool save_state(const std::string& dir, const ControlState& s, std::string& error) {
  return write_durable(dir + "/state.json", state_to_json(s), error, 0600);
}

}  // namespace aclc::control
