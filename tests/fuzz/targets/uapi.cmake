# meshd's UAPI text protocol (runtime/uapi): set requests, endpoint and
# prefix text, and a connection's session, on bytes a local client writes.
list(APPEND ACLC_FUZZ_TARGETS uapi)
set(ACLC_FUZZ_LIBS_uapi aclc_uapi)
set(ACLC_FUZZ_CORPUS_uapi ${ACLC_FUZZ_DIR}/corpus/uapi)
set(ACLC_FUZZ_DICT_uapi ${ACLC_FUZZ_DIR}/uapi.dict)
