# The GitOps loop (control/, aclc deploy/serve/rollback).
#   control_server: aclc serve as a child process on 127.0.0.1 (free port),
#     driven by aclc deploy/rollback and an HTTP client: conditional writes,
#     git history, auth, registry, signed bundles, long-poll, restart and
#     crash consistency.
#   control_client: the API client and aclc deploy against an in-process
#     fake of Tailscale's API (retries on 429/5xx, auth headers), and unit
#     tests of ETags, credentials and the registry's addresses.
pkg_check_modules(ACLC_TEST_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib openssl)

add_executable(aclc_control_server_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc
               ${CMAKE_CURRENT_LIST_DIR}/control_server_test.cc)
target_link_libraries(aclc_control_server_tests PRIVATE aclc_bundle PkgConfig::ACLC_TEST_HTTPLIB
                      doctest::doctest)
target_include_directories(aclc_control_server_tests PRIVATE ${PROJECT_SOURCE_DIR})
target_compile_definitions(aclc_control_server_tests PRIVATE ACLC_BIN="$<TARGET_FILE:aclc>")
add_dependencies(aclc_control_server_tests aclc)
add_test(NAME control_server COMMAND aclc_control_server_tests)
set_tests_properties(control_server PROPERTIES TIMEOUT 300 LABELS cli)

add_executable(aclc_control_client_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc
               ${CMAKE_CURRENT_LIST_DIR}/control_client_test.cc)
target_link_libraries(aclc_control_client_tests PRIVATE aclc_control PkgConfig::ACLC_TEST_HTTPLIB
                      doctest::doctest)
target_compile_definitions(aclc_control_client_tests PRIVATE ACLC_BIN="$<TARGET_FILE:aclc>")
add_dependencies(aclc_control_client_tests aclc)
add_test(NAME control_client COMMAND aclc_control_client_tests)
set_tests_properties(control_client PROPERTIES TIMEOUT 300 LABELS "unit;cli")
