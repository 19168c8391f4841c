# Benchmark tools. Benchmarks themselves never run under ctest (run
# bench/bench_compile.sh); only the generator's own correctness is tested.
add_executable(aclc-gen-tailnet ${CMAKE_CURRENT_SOURCE_DIR}/gen_tailnet.cc)
target_link_libraries(aclc-gen-tailnet PRIVATE CLI11::CLI11)

if(TARGET aclc)
  add_test(NAME gen_tailnet
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gen_tailnet_test.sh
                   $<TARGET_FILE:aclc-gen-tailnet> $<TARGET_FILE:aclc>
                   ${CMAKE_CURRENT_BINARY_DIR}/gen_tailnet_test)
  set_tests_properties(gen_tailnet PROPERTIES TIMEOUT 300)
endif()
