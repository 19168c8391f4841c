#include "tests/mesh/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "tests/mesh/cleanup.h"
#include "tests/mesh/error.h"
#include "tests/mesh/netns.h"

extern char** environ;

namespace mesh {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// In the child, after fork: only async-signal-safe calls until exec. On
// failure writes errno to `report` and exits 127.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const SpawnOptions& o, int netns_fd, int out_fd,
                             int report) {
  auto fail = [&] {
    int e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
  };
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  setpgid(0, 0);  // its own group, so stop() reaches what a shell forks
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) fail();
  int in = open("/dev/null", O_RDONLY);
  if (in < 0 || dup2(in, 0) < 0) fail();
  if (dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) fail();
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : o.env) putenv(const_cast<char*>(e.c_str()));
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGPIPE}) signal(sig, SIG_DFL);
  execvp(args[0], args.data());
  fail();
  _exit(127);
}

pid_t fork_exec(const std::vector<std::string>& argv, const SpawnOptions& o, int out_fd) {
  if (argv.empty()) throw Error("spawn: empty command");
  int netns_fd = -1;
  if (o.netns) {
    netns_fd = open(("/run/netns/" + o.netns->name()).c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) throw_errno("spawn: open namespace " + o.netns->name());
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) throw_errno("pipe");
  pid_t pid = fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    close(report[0]);
    exec_child(argv, o, netns_fd, out_fd, report[1]);
  }
  close(report[1]);
  if (netns_fd >= 0) close(netns_fd);
  int child_errno = 0;
  ssize_t n = read(report[0], &child_errno, sizeof child_errno);
  close(report[0]);
  if (n == sizeof child_errno) {
    waitpid(pid, nullptr, 0);
    throw Error("cannot run " + argv[0] + ": " + std::strerror(child_errno));
  }
  return pid;
}

}  // namespace

Process Process::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  int out = options.output_path.empty()
                ? open("/dev/null", O_WRONLY | O_CLOEXEC)
                : open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) throw_errno("open " + (options.output_path.empty() ? "/dev/null" : options.output_path));
  Process p;
  try {
    p.pid_ = fork_exec(argv, options, out);
  } catch (...) {
    close(out);
    throw;
  }
  close(out);
  pid_t pid = p.pid_;
  p.cleanup_id_ = on_cleanup([pid] {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  });
  return p;
}

Process::Process(Process&& o) noexcept : pid_(o.pid_), status_(o.status_), cleanup_id_(o.cleanup_id_) {
  o.pid_ = -1;
  o.cleanup_id_ = 0;
}

Process& Process::operator=(Process&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0 && !status_) stop();
    forget();
    pid_ = o.pid_;
    status_ = o.status_;
    cleanup_id_ = o.cleanup_id_;
    o.pid_ = -1;
    o.cleanup_id_ = 0;
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0 && !status_) stop();
  forget();
}

void Process::forget() {
  if (cleanup_id_) cancel_cleanup(cleanup_id_);
  cleanup_id_ = 0;
}

bool Process::running() { return pid_ > 0 && !wait(Millis(0)); }

std::optional<int> Process::wait(Millis timeout) {
  if (status_) return status_;
  if (pid_ <= 0) return -1;
  auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = decode_status(st);
      kill(-pid_, SIGKILL);  // anything it left in its group
      forget();
      return status_;
    }
    if (r < 0 && errno != EINTR) {
      status_ = -1;
      forget();
      return status_;
    }
    if (std::chrono::steady_clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(Millis(5));
  }
}

int Process::stop(Millis grace) {
  if (pid_ <= 0) return -1;
  if (status_) return *status_;
  kill(pid_, SIGTERM);
  if (auto st = wait(grace)) return *st;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  return wait(Millis(5000)).value_or(-1);
}

CommandResult run(const std::string& command, const Netns* netns, Millis timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw_errno("pipe");
  SpawnOptions o;
  o.netns = netns;
  pid_t pid;
  try {
    pid = fork_exec({"/bin/sh", "-c", command}, o, fds[1]);
  } catch (...) {
    close(fds[0]);
    close(fds[1]);
    throw;
  }
  close(fds[1]);
  CommandResult r;
  auto end = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buf[4096];
  while (true) {
    int left = static_cast<int>(
        std::chrono::duration_cast<Millis>(end - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = poll(&p, 1, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got <= 0) break;  // EOF: every writer (the shell and its children) is done
    r.output.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  if (timed_out) {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = timed_out ? 124 : decode_status(st);
  return r;
}

std::string must(const std::string& command, const Netns* netns, Millis timeout) {
  CommandResult r = run(command, netns, timeout);
  if (r.status != 0) {
    std::string where = netns ? " (in " + netns->name() + ")" : "";
    throw Error("command failed with status " + std::to_string(r.status) + where + ": " + command + "\n" + r.output);
  }
  return r.output;
}

std::string quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

bool have_tool(const std::string& tool) { return run("command -v " + quote(tool) + " >/dev/null").status == 0; }

}  // namespace mesh
