# meshd <-> wireguard-go and meshd <-> meshd in network namespaces, and the
# policy enforced on the tunnel (tests/meshd_interop_test.cc). Root; serial:
# it creates namespaces and TUNs and times its probes.
aclc_mesh_test(aclc_meshd_interop_test ${CMAKE_CURRENT_LIST_DIR}/meshd_interop_test.cc)
add_test(NAME meshd_interop COMMAND aclc_meshd_interop_test)
set_tests_properties(meshd_interop PROPERTIES TIMEOUT 180 RUN_SERIAL TRUE LABELS kernel)
