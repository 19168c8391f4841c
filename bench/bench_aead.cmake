# The transport AEAD's two candidate backends side by side (never in ctest):
# libsodium vs OpenSSL EVP ChaCha20-Poly1305 at 0 B .. 64 KiB.
#   cmake --build build --target aclc-bench-aead && build/aclc-bench-aead
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
pkg_check_modules(ACLC_BENCH_SODIUM REQUIRED IMPORTED_TARGET libsodium)
add_executable(aclc-bench-aead ${CMAKE_CURRENT_LIST_DIR}/bench_aead.cc)
target_link_libraries(aclc-bench-aead PRIVATE aclc_wg PkgConfig::ACLC_BENCH_SODIUM OpenSSL::Crypto)
target_include_directories(aclc-bench-aead PRIVATE ${PROJECT_SOURCE_DIR})
