# tests/mesh/: the harness of meshd's network-namespace tests (namespaces,
# daemons, wg, probes, a UDP relay, crafted handshakes). Links libsodium and
# libb2 directly, not the runtime under test.
pkg_check_modules(ACLC_MESH_SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(ACLC_MESH_B2 REQUIRED IMPORTED_TARGET libb2)
find_package(Threads REQUIRED)
file(GLOB ACLC_MESH_HARNESS_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/mesh/*.cc)
add_library(aclc_mesh_harness STATIC ${ACLC_MESH_HARNESS_SOURCES})
target_include_directories(aclc_mesh_harness PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(aclc_mesh_harness PUBLIC PkgConfig::ACLC_MESH_SODIUM PkgConfig::ACLC_MESH_B2 Threads::Threads)

# aclc_mesh_test(NAME SOURCE): a doctest binary over the
# harness, registered as a serial `kernel` test. With meshd built it also
# tests meshd (MESHD_BIN, ACLC_BIN); without it only what needs no meshd.
function(aclc_mesh_test name source)
  add_executable(${name} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/unit_main.cc ${source})
  target_link_libraries(${name} PRIVATE aclc_mesh_harness doctest::doctest)
  target_compile_definitions(${name} PRIVATE ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(TARGET meshd)
    target_compile_definitions(${name} PRIVATE MESHD_BIN="$<TARGET_FILE:meshd>" ACLC_BIN="$<TARGET_FILE:aclc>")
    add_dependencies(${name} meshd aclc)
  endif()
endfunction()

# The handshake-rate probe bench/bench_meshd.sh runs (not a test): genuine
# initiations need the Noise core, so it links aclc_wg.
add_executable(aclc-mesh-handshake-rate ${CMAKE_CURRENT_LIST_DIR}/mesh/tools/handshake_rate.cc)
target_link_libraries(aclc-mesh-handshake-rate PRIVATE aclc_mesh_harness aclc_wg)
