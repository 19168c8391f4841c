# The seed mesh (examples/seed-mesh) on meshd nodes in network namespaces:
# traffic on the wire against `aclc prove` (tests/meshd_seed_test.cc).
# Root; serial. Runs the aclc binary for keys, bundles and proofs.
aclc_mesh_test(aclc_meshd_seed_test ${CMAKE_CURRENT_LIST_DIR}/meshd_seed_test.cc)
target_compile_definitions(aclc_meshd_seed_test PRIVATE SEED_ACLC_BIN="$<TARGET_FILE:aclc>")
add_dependencies(aclc_meshd_seed_test aclc)
add_test(NAME meshd_seed COMMAND aclc_meshd_seed_test)
set_tests_properties(meshd_seed PROPERTIES TIMEOUT 180 RUN_SERIAL TRUE LABELS kernel)
