# The GitOps loop end to end (tests/gitops_e2e_test.cc): a git repository
# with the seed policy and `aclc hook install`; a bad commit refused by the
# hook and `aclc check --base`; good commits deployed with ci/aclc-ci.sh to
# `aclc serve`; three `meshd --control` nodes in network namespaces enforce
# each deploy within 5 s; revocation; the server stopped. And static
# hosting: meshd nodes fetching from a directory served by nginx (new,
# tampered and older bundles). Root; serial.
# (aclc_mesh_harness is defined in mesh_harness.cmake, included after this
# file: a target may be linked before it is defined.)
if(TARGET meshd AND TARGET aclc)
  pkg_check_modules(ACLC_GITOPS_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib openssl)
  add_executable(aclc_gitops_e2e_test ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc
                 ${CMAKE_CURRENT_LIST_DIR}/gitops_e2e_test.cc)
  target_link_libraries(aclc_gitops_e2e_test PRIVATE aclc_mesh_harness PkgConfig::ACLC_GITOPS_HTTPLIB
                        doctest::doctest)
  target_include_directories(aclc_gitops_e2e_test PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(aclc_gitops_e2e_test PRIVATE ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                             MESHD_BIN="$<TARGET_FILE:meshd>" ACLC_BIN="$<TARGET_FILE:aclc>")
  add_dependencies(aclc_gitops_e2e_test meshd aclc)
  add_test(NAME gitops_e2e COMMAND aclc_gitops_e2e_test)
  set_tests_properties(gitops_e2e PROPERTIES TIMEOUT 180 RUN_SERIAL TRUE LABELS kernel)
endif()
