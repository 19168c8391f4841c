# Benchmark tools. Benchmarks themselves never run under ctest (run
# bench/bench_compile.sh); only the generator's own correctness is tested.
add_executable(aclc-gen-tailnet ${CMAKE_CURRENT_SOURCE_DIR}/gen_tailnet.cc
               ${CMAKE_CURRENT_SOURCE_DIR}/gen_shape_realistic.cc
               ${CMAKE_CURRENT_SOURCE_DIR}/gen_shape_worst.cc)
target_link_libraries(aclc-gen-tailnet PRIVATE CLI11::CLI11)
target_include_directories(aclc-gen-tailnet PRIVATE ${PROJECT_SOURCE_DIR})

# Phase by phase timing of compile (bench/bench_compile.sh). It loads inputs
# exactly as the CLI does, so it compiles the CLI's pipeline with it.
add_executable(aclc-bench-compile-phases ${CMAKE_CURRENT_SOURCE_DIR}/bench_compile_phases.cc
               ${PROJECT_SOURCE_DIR}/cli/pipeline.cc ${PROJECT_SOURCE_DIR}/cli/file_io.cc)
target_link_libraries(aclc-bench-compile-phases PRIVATE aclc_front aclc_back)
target_include_directories(aclc-bench-compile-phases PRIVATE ${PROJECT_SOURCE_DIR})

if(TARGET aclc)
  add_test(NAME gen_tailnet
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gen_tailnet_test.sh
                   $<TARGET_FILE:aclc-gen-tailnet> $<TARGET_FILE:aclc>
                   ${CMAKE_CURRENT_BINARY_DIR}/gen_tailnet_test)
  set_tests_properties(gen_tailnet PROPERTIES TIMEOUT 300)
endif()
