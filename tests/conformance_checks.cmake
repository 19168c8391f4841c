# Conformance of tests, sshTests and per-node SSH policies against
# Tailscale's recordings (tests/conformance/tailscale/{policytest,sshtest,
# ssh}): a doctest binary sharing the unit tests' main.
add_executable(aclc_conformance_checks unit_main.cc ${CMAKE_CURRENT_SOURCE_DIR}/conformance_checks_test.cc)
target_link_libraries(aclc_conformance_checks PRIVATE aclc_front aclc_back aclc_verifier doctest::doctest)
target_compile_definitions(aclc_conformance_checks PRIVATE ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME conformance_checks COMMAND aclc_conformance_checks)
set_tests_properties(conformance_checks PROPERTIES TIMEOUT 600 LABELS conformance)
