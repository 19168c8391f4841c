# The meshd binary's life cycle (tests/meshd_smoke_test.cc): start in a
# private network namespace with bundles compiled by `aclc compile --format
# bundle`, `wg show` through its UAPI socket, SIGHUP reloads, a tampered
# bundle kept out, restart without rollback, fail-closed start, SIGTERM.
# Root (TUN, netns); serial: it uses /var/run/wireguard.
if(TARGET meshd AND TARGET aclc)
  add_executable(aclc_meshd_smoke_test ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc
                 ${CMAKE_CURRENT_LIST_DIR}/meshd_smoke_test.cc)
  target_link_libraries(aclc_meshd_smoke_test PRIVATE doctest::doctest)
  target_compile_definitions(aclc_meshd_smoke_test PRIVATE
    MESHD_BIN="$<TARGET_FILE:meshd>" ACLC_BIN="$<TARGET_FILE:aclc>")
  add_dependencies(aclc_meshd_smoke_test meshd aclc)
  add_test(NAME meshd_smoke COMMAND aclc_meshd_smoke_test)
  set_tests_properties(meshd_smoke PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE LABELS kernel)
endif()
