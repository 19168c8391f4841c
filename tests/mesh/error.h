// The one exception the mesh test harness throws: a setup step failed (a
// command exited non-zero, a daemon did not come up, a socket could not be
// made). Tests let it propagate; doctest reports the message and every
// RAII owner below cleans up on the way out.
#ifndef ACLC_TESTS_MESH_ERROR_H_
#define ACLC_TESTS_MESH_ERROR_H_

#include <stdexcept>
#include <string>

namespace mesh {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Error with strerror(errno) appended.
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_ERROR_H_
