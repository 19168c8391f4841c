# End-to-end tests of aclc keygen, compile --format bundle and lower: signed
# bundles that a node accepts and that decide like the policy, and every bad
# input (key, output directory, device) refused with exit 2 and nothing
# written.
add_executable(aclc_bundle_cli_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc
               ${CMAKE_CURRENT_LIST_DIR}/bundle_cli_test.cc)
target_link_libraries(aclc_bundle_cli_tests PRIVATE aclc_front aclc_back aclc_bundle doctest::doctest)
target_compile_definitions(aclc_bundle_cli_tests PRIVATE
  ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ACLC_BIN="$<TARGET_FILE:aclc>")
add_dependencies(aclc_bundle_cli_tests aclc)
add_test(NAME bundle_cli COMMAND aclc_bundle_cli_tests)
set_tests_properties(bundle_cli PROPERTIES TIMEOUT 300 LABELS cli)
