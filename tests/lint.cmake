# End-to-end tests of `aclc lint` and `aclc check --strict` (exit codes,
# positions, formats).
if(TARGET aclc)
  add_test(NAME lint_cli
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/data/lint/cli_test.sh
                   $<TARGET_FILE:aclc> ${CMAKE_CURRENT_LIST_DIR}/data/lint)
  set_tests_properties(lint_cli PROPERTIES TIMEOUT 120 LABELS cli)
endif()
