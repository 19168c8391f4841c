# End-to-end tests of aclc diff and check --base: golden files in
# tests/data/diff, and temporary git repositories made with the git CLI.
add_executable(aclc_diff_git_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc ${CMAKE_CURRENT_LIST_DIR}/diff_git_test.cc)
target_link_libraries(aclc_diff_git_tests PRIVATE doctest::doctest)
target_compile_definitions(aclc_diff_git_tests PRIVATE
  ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ACLC_BIN="$<TARGET_FILE:aclc>")
add_dependencies(aclc_diff_git_tests aclc)
add_test(NAME diff_git COMMAND aclc_diff_git_tests)
set_tests_properties(diff_git PROPERTIES TIMEOUT 300 LABELS cli)
