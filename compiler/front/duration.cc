#include "compiler/front/duration.h"

namespace aclc::policy {
namespace {

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

struct Unit {
  std::string_view name;
  uint64_t ns;
};

constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xC2\xB5s", 1000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1000},  // U+03BC Greek mu
    {"ms", 1000000},
    {"s", 1000000000ull},
    {"m", 60ull * 1000000000ull},
    {"h", 3600ull * 1000000000ull},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<int64_t> parse_go_duration(std::string_view orig,
                                         std::string* error) {
  auto invalid = [&]() -> std::optional<int64_t> {
    if (error) *error = "time: invalid duration " + quoted(orig);
    return std::nullopt;
  };
  std::string_view s = orig;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();
  constexpr uint64_t kMax = uint64_t(1) << 63;  // |min int64|
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return invalid();
    // Integer part.
    uint64_t v = 0;
    size_t i = 0;
    bool overflow = false;
    while (i < s.size() && is_digit(s[i])) {
      if (v > (kMax - 9) / 10) overflow = true;
      v = v * 10 + uint64_t(s[i] - '0');
      i++;
    }
    if (overflow) return invalid();
    bool pre = i > 0;
    // Fraction.
    uint64_t frac = 0, scale = 1;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      i++;
      size_t start = i;
      while (i < s.size() && is_digit(s[i])) {
        if (scale < uint64_t(1e18)) {
          frac = frac * 10 + uint64_t(s[i] - '0');
          scale *= 10;
        }
        i++;
      }
      post = i > start;
    }
    if (!pre && !post) return invalid();
    // Unit.
    size_t u = i;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) u++;
    std::string_view unit_name = s.substr(i, u - i);
    if (unit_name.empty()) {
      if (error) *error = "time: missing unit in duration " + quoted(orig);
      return std::nullopt;
    }
    const Unit* unit = nullptr;
    for (const auto& un : kUnits)
      if (un.name == unit_name) unit = &un;
    if (!unit) {
      if (error)
        *error = "time: unknown unit " + quoted(unit_name) + " in duration " +
                 quoted(orig);
      return std::nullopt;
    }
    if (v > kMax / unit->ns) return invalid();
    v *= unit->ns;
    if (frac > 0) {
      // Go computes float64(frac) * (unit / scale); long double keeps the
      // same rounding for realistic inputs.
      v += uint64_t((long double)frac * ((long double)unit->ns / scale));
      if (v > kMax) return invalid();
    }
    total += v;
    if (total > kMax) return invalid();
    s.remove_prefix(u);
  }
  if (neg) return -int64_t(total - 1) - 1;
  if (total > kMax - 1) return invalid();
  return int64_t(total);
}

std::string format_go_duration(int64_t d) {
  if (d == 0) return "0s";
  bool neg = d < 0;
  uint64_t u = neg ? uint64_t(0) - uint64_t(d) : uint64_t(d);
  std::string out;
  // Fractional digits of v/10^prec without trailing zeros.
  auto fmt_frac = [](uint64_t v, int prec, std::string& o) -> uint64_t {
    std::string digits;
    bool print = false;
    for (int i = 0; i < prec; i++) {
      int digit = int(v % 10);
      print = print || digit != 0;
      if (print) digits.insert(digits.begin(), char('0' + digit));
      v /= 10;
    }
    if (print) o = "." + digits + o;
    return v;
  };
  if (u < 1000000000ull) {
    int prec;
    std::string unit;
    if (u < 1000) {
      return (neg ? "-" : "") + std::to_string(u) + "ns";
    } else if (u < 1000000) {
      prec = 3;
      unit = "\xC2\xB5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    std::string frac;
    uint64_t whole = fmt_frac(u, prec, frac);
    return (neg ? "-" : "") + std::to_string(whole) + frac + unit;
  }
  std::string frac;
  uint64_t secs = fmt_frac(u, 9, frac);
  out = std::to_string(secs % 60) + frac + "s";
  uint64_t mins = secs / 60;
  if (mins > 0) {
    out = std::to_string(mins % 60) + "m" + out;
    uint64_t hours = mins / 60;
    if (hours > 0) out = std::to_string(hours) + "h" + out;
  }
  return (neg ? "-" : "") + out;
}

}  // namespace aclc::policy
