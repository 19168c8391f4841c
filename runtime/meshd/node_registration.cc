#include "runtime/meshd/node_registration.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sodium.h>

#include "runtime/meshd/files.h"

namespace aclc::meshd {

void wipe_string(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

std::string registration_body(const RegistrationRequest& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("hostname");
  w.String(r.hostname.c_str(), rapidjson::SizeType(r.hostname.size()));
  w.Key("wireguardPublicKey");
  w.String(r.wireguard_public_key.c_str(), rapidjson::SizeType(r.wireguard_public_key.size()));
  w.Key("endpoints");
  w.StartArray();
  for (const auto& e : r.endpoints) w.String(e.c_str(), rapidjson::SizeType(e.size()));
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

bool plausible_key(const std::string& key) {
  if (key.empty() || key.size() > 256) return false;
  for (unsigned char c : key)
    if (c <= ' ' || c >= 0x7f) return false;
  return true;
}

std::optional<RegistrationAnswer> parse_registration_answer(const std::string& body,
                                                            std::string& error) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (d.HasParseError() || !d.IsObject()) {
    error = "the registration answer is not a JSON object";
    return std::nullopt;
  }
  auto str = [&](const char* name) -> std::string {
    auto it = d.FindMember(name);
    return it != d.MemberEnd() && it->value.IsString()
               ? std::string(it->value.GetString(), it->value.GetStringLength())
               : std::string();
  };
  RegistrationAnswer a;
  a.node_key = str("nodeKey");
  a.hostname = str("hostname");
  a.control_public_key = str("controlPublicKey");
  // The parsed document still holds the key: wipe it in place.
  if (auto it = d.FindMember("nodeKey"); it != d.MemberEnd() && it->value.IsString())
    sodium_memzero(const_cast<char*>(it->value.GetString()), it->value.GetStringLength());
  if (!plausible_key(a.node_key)) {
    wipe_string(a.node_key);
    error = "the registration answer has no usable \"nodeKey\"";
    return std::nullopt;
  }
  return a;
}

std::string server_message(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (!d.HasParseError() && d.IsObject())
    if (auto it = d.FindMember("message"); it != d.MemberEnd() && it->value.IsString())
      return std::string(it->value.GetString(), std::min<size_t>(it->value.GetStringLength(), 500));
  std::string s = body.substr(0, 200);
  for (char& c : s)
    if (static_cast<unsigned char>(c) < ' ' || static_cast<unsigned char>(c) >= 0x7f) c = ' ';
  return s;
}

std::optional<std::string> read_key_file(const std::string& path, std::string& error) {
  auto bytes = read_file_bounded(path, 4096, error);
  if (!bytes) return std::nullopt;
  std::string text(bytes->begin(), bytes->end());
  sodium_memzero(bytes->data(), bytes->size());
  size_t start = text.find_first_not_of(" \t\r\n");
  size_t end = start == std::string::npos ? start : text.find_first_of(" \t\r\n", start);
  std::string key = start == std::string::npos ? "" : text.substr(start, end - start);
  wipe_string(text);
  if (!plausible_key(key)) {
    wipe_string(key);
    error = path + ": expected one key (printable, no spaces, at most 256 characters)";
    return std::nullopt;
  }
  return key;
}

std::string node_key_path(const std::string& state_dir) { return state_dir + "/node.key"; }

bool save_node_key(const std::string& state_dir, const std::string& node_key, std::string& error) {
  std::vector<uint8_t> bytes(node_key.begin(), node_key.end());
  bytes.push_back('\n');
  bool ok = write_file_atomic(node_key_path(state_dir), bytes, error);
  sodium_memzero(bytes.data(), bytes.size());
  return ok;
}

}  // namespace aclc::meshd
