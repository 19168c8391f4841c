# meshd's packet filter (runtime/filter): the parser and the enforcer on
# plaintext packets from peers.
list(APPEND ACLC_FUZZ_TARGETS packet)
set(ACLC_FUZZ_LIBS_packet aclc_filter)
set(ACLC_FUZZ_CORPUS_packet ${ACLC_FUZZ_DIR}/corpus/packet)
set(ACLC_FUZZ_DICT_packet ${ACLC_FUZZ_DIR}/packet.dict)
