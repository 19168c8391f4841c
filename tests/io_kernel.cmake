# runtime/io against the real kernel (root): a TUN with TSO/USO offload in a
# fresh network namespace carrying real TCP and UDP, and 1,000 datagrams
# over loopback through UDP GSO and GRO. tests/io_kernel_test.cc.
add_executable(aclc_io_kernel_test ${CMAKE_CURRENT_LIST_DIR}/io_kernel_test.cc)
target_link_libraries(aclc_io_kernel_test PRIVATE aclc_io doctest::doctest)
target_include_directories(aclc_io_kernel_test PRIVATE ${PROJECT_SOURCE_DIR})
add_test(NAME io_kernel COMMAND aclc_io_kernel_test)
set_tests_properties(io_kernel PROPERTIES TIMEOUT 60 RUN_SERIAL TRUE LABELS kernel)
