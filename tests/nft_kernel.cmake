# The nft back end against the real kernel (root; network namespaces):
# tests/nft_kernel_test.cc. Runs serially: it creates interfaces and
# namespaces and times its probes.
add_executable(aclc_nft_kernel_test ${CMAKE_CURRENT_LIST_DIR}/nft_kernel_test.cc)
target_link_libraries(aclc_nft_kernel_test PRIVATE aclc_front aclc_back)
target_include_directories(aclc_nft_kernel_test PRIVATE ${PROJECT_SOURCE_DIR})
add_test(NAME nft_kernel COMMAND aclc_nft_kernel_test)
set_tests_properties(nft_kernel PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE LABELS kernel)
