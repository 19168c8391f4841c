# End-to-end tests of the aclc executable: exit codes, positions and
# formats on good and bad inputs.
add_executable(aclc_cli_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc ${CMAKE_CURRENT_LIST_DIR}/cli_test.cc)
target_link_libraries(aclc_cli_tests PRIVATE aclc_front doctest::doctest)
target_compile_definitions(aclc_cli_tests PRIVATE
  ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ACLC_BIN="$<TARGET_FILE:aclc>")
add_dependencies(aclc_cli_tests aclc)
add_test(NAME cli COMMAND aclc_cli_tests)
set_tests_properties(cli PROPERTIES TIMEOUT 300 LABELS cli)
