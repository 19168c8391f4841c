#include "tests/mesh/cleanup.h"

#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>

namespace mesh {
namespace {

std::recursive_mutex g_mutex;
std::map<int, std::function<void()>>& actions() {
  static auto* m = new std::map<int, std::function<void()>>;  // outlives static destructors
  return *m;
}
int g_next = 1;

void on_signal(int sig) {
  // Not async-signal-safe in general; the test is dying anyway, and leaving
  // namespaces and daemons behind is worse.
  run_cleanups();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_once() {
  static bool done = false;
  if (done) return;
  done = true;
  std::atexit(run_cleanups);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGALRM}) std::signal(sig, on_signal);
  std::signal(SIGPIPE, SIG_IGN);  // a peer closing a probe socket is a result, not a crash
}

}  // namespace

int on_cleanup(std::function<void()> action) {
  std::lock_guard lock(g_mutex);
  install_once();
  int id = g_next++;
  actions()[id] = std::move(action);
  return id;
}

void cancel_cleanup(int id) {
  std::lock_guard lock(g_mutex);
  actions().erase(id);
}

void run_cleanups() {
  std::lock_guard lock(g_mutex);
  while (!actions().empty()) {
    auto it = std::prev(actions().end());
    std::function<void()> action = std::move(it->second);
    actions().erase(it);
    action();
  }
}

}  // namespace mesh
