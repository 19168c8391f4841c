// Network namespaces for one test run, named "<prefix><name>" where the
// prefix carries the test's pid, so that concurrent runs never collide and
// a later run can tell a dead run's leftovers (remove_stale_namespaces).
// A Netns deletes itself (and with it its veths and TUNs) when destroyed or
// when a cleanup runs.
#ifndef ACLC_TESTS_MESH_NETNS_H_
#define ACLC_TESTS_MESH_NETNS_H_

#include <string>

namespace mesh {

// "mesht<pid>-": the prefix of this run's namespaces and interface files.
const std::string& run_prefix();
// Deletes namespaces of earlier runs whose process is gone.
void remove_stale_namespaces();

class Netns {
 public:
  // Creates "<run_prefix()><name>" with its loopback up. Throws mesh::Error.
  explicit Netns(const std::string& name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  int cleanup_id_ = 0;
};

// Moves the calling thread into `ns` until destroyed (then back). Sockets
// made meanwhile stay in `ns` for their whole life, whichever thread uses
// them: that is how one test process talks from several namespaces.
class InNetns {
 public:
  explicit InNetns(const Netns& ns);
  ~InNetns();
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  int home_ = -1;
};

// socket(2) in `ns`. Throws mesh::Error.
int socket_in(const Netns& ns, int domain, int type, int protocol = 0);

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_NETNS_H_
