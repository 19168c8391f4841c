# runtime/io costs (never in ctest): checksum, TSO split and TCP coalescing
# per packet, and UDP over loopback with and without GSO/GRO.
#   cmake --build build --target aclc-bench-io && build/aclc-bench-io
add_executable(aclc-bench-io ${CMAKE_CURRENT_LIST_DIR}/bench_io.cc)
target_link_libraries(aclc-bench-io PRIVATE aclc_io)
target_include_directories(aclc-bench-io PRIVATE ${PROJECT_SOURCE_DIR})
