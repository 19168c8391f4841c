// Helpers shared by the WireGuard protocol tests.
#ifndef ACLC_TESTS_UNIT_WG_TEST_UTIL_H_
#define ACLC_TESTS_UNIT_WG_TEST_UTIL_H_

#include <cstdint>
#include <cstring>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "runtime/wg/noise.h"

namespace aclc::wg::test {

inline std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(uint8_t(std::stoul(s.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::string hex(std::span<const uint8_t> b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) s += d[x >> 4], s += d[x & 15];
  return s;
}

inline std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

template <size_t N>
Secret<N> secret_filled(uint8_t v) {
  Secret<N> s;
  s.bytes.fill(v);
  return s;
}

// A RandomSource that hands out queued byte strings in order, then a
// counter pattern once the queue is empty.
struct ScriptedRandom {
  std::deque<std::vector<uint8_t>> queue;
  uint8_t next = 0x80;
  RandomSource source() {
    return [this](uint8_t* buf, size_t len) {
      if (!queue.empty() && queue.front().size() == len) {
        std::memcpy(buf, queue.front().data(), len);
        queue.pop_front();
        return;
      }
      for (size_t i = 0; i < len; ++i) buf[i] = next++;
    };
  }
};

}  // namespace aclc::wg::test

#endif  // ACLC_TESTS_UNIT_WG_TEST_UTIL_H_
