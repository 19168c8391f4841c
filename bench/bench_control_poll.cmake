# Deploy -> all nodes updated for 1k simulated polling nodes, against
# aclc serve (long-poll) and nginx (ETag polling); prints figures, never in
# ctest:
#   cmake --build build --target aclc aclc-bench-control-poll
#   build/bench/aclc-bench-control-poll [--nodes 1000] [--devices 10] [--interval 1000]
if(TARGET aclc)
  pkg_check_modules(ACLC_BENCH_POLL_CURL REQUIRED IMPORTED_TARGET libcurl)
  add_executable(aclc-bench-control-poll ${CMAKE_CURRENT_LIST_DIR}/bench_control_poll.cc)
  target_link_libraries(aclc-bench-control-poll PRIVATE PkgConfig::ACLC_BENCH_POLL_CURL)
  target_compile_definitions(aclc-bench-control-poll PRIVATE ACLC_BIN="$<TARGET_FILE:aclc>")
  add_dependencies(aclc-bench-control-poll aclc)
endif()
