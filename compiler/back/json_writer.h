// The rapidjson plumbing the JSON back ends (tailcfg.h, ssh_policy.h)
// share: one writer, pretty or compact; strings written with their length
// (no strlen on the hot path); and the order of the per-device
// {"<hostname>": ...} maps.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "compiler/ir/device.h"

namespace aclc::tailcfg {

template <typename Writer>
void json_string(Writer& w, const std::string& s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename Writer>
void json_key(Writer& w, const std::string& s) {
  w.Key(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

// Calls body(w) with a writer into `buf`: pretty with `indent` spaces when
// indent > 0, else compact.
template <typename Body>
void write_json_into(rapidjson::StringBuffer& buf, int indent, Body&& body) {
  if (indent > 0) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', static_cast<unsigned>(indent));
    body(w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    body(w);
  }
}

// What body(w) writes, as a string.
template <typename Body>
std::string write_json(int indent, Body&& body) {
  rapidjson::StringBuffer buf;
  write_json_into(buf, indent, body);
  return std::string(buf.GetString(), buf.GetSize());
}

// The indices of inv.devices by hostname: the key order of per-device maps.
inline std::vector<size_t> hostname_order(const Inventory& inv) {
  std::vector<size_t> order(inv.devices.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return inv.devices[a].hostname < inv.devices[b].hostname;
  });
  return order;
}

}  // namespace aclc::tailcfg
