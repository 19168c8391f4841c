# aclc compile --format nft end to end (tests/nft_cli_test.cc).
add_executable(aclc_nft_cli_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc ${CMAKE_CURRENT_LIST_DIR}/nft_cli_test.cc)
target_link_libraries(aclc_nft_cli_tests PRIVATE doctest::doctest)
target_compile_definitions(aclc_nft_cli_tests PRIVATE
  ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ACLC_BIN="$<TARGET_FILE:aclc>")
add_dependencies(aclc_nft_cli_tests aclc)
add_test(NAME nft_cli COMMAND aclc_nft_cli_tests)
set_tests_properties(nft_cli PROPERTIES TIMEOUT 600 LABELS cli)
