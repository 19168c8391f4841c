// Running shell commands from end-to-end tests: quoting, output capture,
// small file helpers. Header-only; each test binary includes it once.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace aclc::test {

struct ShellResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// One single-quoted shell word.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `command` with sh; stdout and stderr are captured together.
inline ShellResult capture(const std::string& command) {
  std::string full = "(" + command + ") 2>&1";
  ShellResult r;
  FILE* p = popen(full.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `cmd` with sh in `dir`.
inline ShellResult sh(const std::string& dir, const std::string& cmd) {
  return capture("cd " + shell_quote(dir) + " && (" + cmd + ")");
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace aclc::test
