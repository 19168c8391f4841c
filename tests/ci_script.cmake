# ci/aclc-ci.sh, the script the CI templates in ci/ run, in temporary git
# repositories with the environment GitHub Actions sets.
add_executable(aclc_ci_script_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc ${CMAKE_CURRENT_LIST_DIR}/ci_script_test.cc)
target_link_libraries(aclc_ci_script_tests PRIVATE doctest::doctest)
target_compile_definitions(aclc_ci_script_tests PRIVATE
  ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ACLC_BIN="$<TARGET_FILE:aclc>")
target_include_directories(aclc_ci_script_tests PRIVATE ${PROJECT_SOURCE_DIR})
add_dependencies(aclc_ci_script_tests aclc)
add_test(NAME ci_script COMMAND aclc_ci_script_tests)
set_tests_properties(ci_script PROPERTIES TIMEOUT 300 LABELS cli)
