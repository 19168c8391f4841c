# Conformance against Tailscale's recorded control-plane answers
# (tests/conformance/tailscale): a second doctest binary, sharing the main.
file(GLOB ACLC_CONFORMANCE_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/conformance_test.cc
     ${CMAKE_CURRENT_SOURCE_DIR}/conformance/*_test.cc)
add_executable(aclc_conformance_tests unit_main.cc ${ACLC_CONFORMANCE_TESTS})
target_link_libraries(aclc_conformance_tests PRIVATE aclc_front aclc_back doctest::doctest)
target_compile_definitions(aclc_conformance_tests PRIVATE ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME conformance COMMAND aclc_conformance_tests)
set_tests_properties(conformance PROPERTIES TIMEOUT 600 LABELS conformance)
