// Threads of meshd other than the event loop take no signals: SIGTERM,
// SIGINT and SIGHUP belong to the loop's signalfd, and a signal delivered
// to another thread would be lost to it.
#ifndef ACLC_RUNTIME_MESHD_SIGNAL_FREE_THREAD_H_
#define ACLC_RUNTIME_MESHD_SIGNAL_FREE_THREAD_H_

#include <signal.h>

#include <thread>
#include <utility>

namespace aclc::meshd {

// Starts `fn` on a thread created with every signal blocked (a thread
// inherits its creator's mask; the caller's mask is restored). Throws
// std::system_error as std::thread does.
template <typename Fn>
std::thread start_signal_free_thread(Fn&& fn) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  struct Restore {
    sigset_t mask;
    ~Restore() { pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{previous};
  return std::thread(std::forward<Fn>(fn));
}

}  // namespace aclc::meshd

#endif  // ACLC_RUNTIME_MESHD_SIGNAL_FREE_THREAD_H_
