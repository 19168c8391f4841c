# The real `wg` tool (wireguard-tools) against meshd's UAPI server, through
# /var/run/wireguard (root): tests/uapi_wg_tool_test.cc.
add_executable(aclc_uapi_wg_tool_test ${CMAKE_CURRENT_LIST_DIR}/uapi_wg_tool_test.cc
               ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc)
target_link_libraries(aclc_uapi_wg_tool_test PRIVATE aclc_uapi doctest::doctest)
target_include_directories(aclc_uapi_wg_tool_test PRIVATE ${PROJECT_SOURCE_DIR})
add_test(NAME uapi_wg_tool COMMAND aclc_uapi_wg_tool_test)
set_tests_properties(uapi_wg_tool PROPERTIES TIMEOUT 60 RUN_SERIAL TRUE LABELS kernel)
