# Attacks on a running node in network namespaces: replayed and forged
# transport messages, a handshake flood, rekeying on shortened timers
# (tests/meshd_attack_test.cc). Root; serial.
aclc_mesh_test(aclc_meshd_attack_test ${CMAKE_CURRENT_LIST_DIR}/meshd_attack_test.cc)
add_test(NAME meshd_attack COMMAND aclc_meshd_attack_test)
set_tests_properties(meshd_attack PROPERTIES TIMEOUT 180 RUN_SERIAL TRUE LABELS kernel)
