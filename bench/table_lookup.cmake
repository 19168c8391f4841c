# Table lookup ns/packet against a linear scan and decide() (never in ctest):
#   cmake -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel --target aclc-bench-table-lookup
#   build-rel/bench/aclc-bench-table-lookup [--packets N]
add_executable(aclc-bench-table-lookup ${CMAKE_CURRENT_LIST_DIR}/bench_table_lookup.cc)
target_link_libraries(aclc-bench-table-lookup PRIVATE aclc_front aclc_back)
target_include_directories(aclc-bench-table-lookup PRIVATE ${PROJECT_SOURCE_DIR})
