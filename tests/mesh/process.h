// Child processes with deadlines: daemons (wireguard-go, meshd, iperf3) and
// the short commands that configure them (ip, wg). A child optionally
// enters a network namespace before exec, dies with the test
// (PR_SET_PDEATHSIG), and is stopped — SIGTERM, then SIGKILL after a grace
// period — when its owner goes out of scope or a cleanup runs.
#ifndef ACLC_TESTS_MESH_PROCESS_H_
#define ACLC_TESTS_MESH_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace mesh {

class Netns;

using Millis = std::chrono::milliseconds;

struct SpawnOptions {
  const Netns* netns = nullptr;   // run in this namespace (default: the test's)
  std::string output_path;        // stdout and stderr appended here; empty: /dev/null
  std::vector<std::string> env;   // extra NAME=VALUE entries
};

class Process {
 public:
  Process() = default;
  // Starts argv[0] (looked up in PATH). Throws mesh::Error if it cannot be
  // executed (the exec error is reported, not a silent exit 127).
  static Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});
  Process(Process&&) noexcept;
  Process& operator=(Process&&) noexcept;
  ~Process();

  pid_t pid() const { return pid_; }
  bool running();
  // The exit status (128 + signal if killed) once it exits within timeout.
  std::optional<int> wait(Millis timeout);
  // SIGTERM, up to `grace` to exit, then SIGKILL. Returns the exit status.
  int stop(Millis grace = Millis(3000));

 private:
  void forget();
  pid_t pid_ = -1;
  std::optional<int> status_;
  int cleanup_id_ = 0;
};

struct CommandResult {
  int status = -1;       // exit status; 124 when it timed out
  std::string output;    // stdout and stderr together
};

// Runs `sh -c command` (in `netns` if given) for at most `timeout`.
CommandResult run(const std::string& command, const Netns* netns = nullptr, Millis timeout = Millis(20000));
// As run(); throws mesh::Error with the command and its output unless it exits 0.
std::string must(const std::string& command, const Netns* netns = nullptr, Millis timeout = Millis(20000));
// Single-quotes a shell argument.
std::string quote(const std::string& arg);
// True if `tool` is on PATH.
bool have_tool(const std::string& tool);

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_PROCESS_H_
