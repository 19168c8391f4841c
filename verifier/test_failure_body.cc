#include "verifier/test_failure_body.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace aclc::verify {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer& w, const std::string& s) {
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
}

template <typename Result>
void entry(Writer& w, const Result& r) {
  w.StartObject();
  w.Key("user");
  string(w, r.src);
  w.Key("errors");
  w.StartArray();
  for (const auto& f : r.failures) string(w, f.message);
  w.EndArray();
  w.Key("warnings");
  w.StartArray();
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string test_failure_body(const AclTestReport& tests, const SshTestReport& ssh_tests) {
  if (tests.passed() && ssh_tests.passed()) return "";
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("message");
  w.String("test(s) failed");
  w.Key("data");
  w.StartArray();
  for (const AclTestResult& r : tests.results) {
    if (!r.passed) entry(w, r);
  }
  for (const SshTestResult& r : ssh_tests.results) {
    if (!r.passed) entry(w, r);
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace aclc::verify
