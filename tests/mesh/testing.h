// What every mesh test binary shares: the binaries CMake built for it
// (MESHD_BIN and ACLC_BIN exist only when meshd is part of the build) and
// the host check every test case starts with. A host that cannot run them
// fails them: CI runs as root, so a skip would hide a broken setup.
#ifndef ACLC_TESTS_MESH_TESTING_H_
#define ACLC_TESTS_MESH_TESTING_H_

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/mesh/mesh.h"
#include "tests/mesh/netns.h"

namespace mesh {

inline Binaries binaries() {
  Binaries b;
#ifdef ACLC_BIN
  b.aclc = ACLC_BIN;
#endif
#ifdef MESHD_BIN
  b.meshd = MESHD_BIN;
#endif
  return b;
}

inline void require_host(const std::vector<std::string>& tools) {
  std::string missing = missing_prerequisites(tools);
  REQUIRE_MESSAGE(missing.empty(), missing);
  static bool swept = false;
  if (!swept) remove_stale_namespaces();
  swept = true;
}

}  // namespace mesh

#endif  // ACLC_TESTS_MESH_TESTING_H_
