// Cleanup on every exit path. Owners (namespaces, processes, temporary
// directories) register an action and cancel it when they clean up
// themselves; whatever is still registered runs at exit() and on SIGINT,
// SIGTERM, SIGHUP and SIGALRM. A SIGKILL (CTest's timeout) leaves things
// behind: remove_stale() in the next run deletes them, and every child is
// spawned with PR_SET_PDEATHSIG so it dies with the test.
#ifndef ACLC_TESTS_MESH_CLEANUP_H_
#define ACLC_TESTS_MESH_CLEANUP_H_

#include <functional>

namespace mesh {

// Runs `action` at exit or on a fatal signal unless cancelled first.
int on_cleanup(std::function<void()> action);
void cancel_cleanup(int id);
// Runs every registered action, newest first, and forgets them.
void run_cleanups();

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_CLEANUP_H_
