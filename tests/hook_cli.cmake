# aclc hook install: the pre-commit and pre-push hooks in temporary git
# repositories, driven with the git CLI as a user would.
add_executable(aclc_hook_cli_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc ${CMAKE_CURRENT_LIST_DIR}/hook_cli_test.cc)
target_link_libraries(aclc_hook_cli_tests PRIVATE doctest::doctest)
target_compile_definitions(aclc_hook_cli_tests PRIVATE ACLC_BIN="$<TARGET_FILE:aclc>")
target_include_directories(aclc_hook_cli_tests PRIVATE ${PROJECT_SOURCE_DIR})
add_dependencies(aclc_hook_cli_tests aclc)
add_test(NAME hook_cli COMMAND aclc_hook_cli_tests)
set_tests_properties(hook_cli PROPERTIES TIMEOUT 300 LABELS cli)
