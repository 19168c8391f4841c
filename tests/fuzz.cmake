# Fuzz targets (tests/fuzz/fuzz_*.cc, libFuzzer's LLVMFuzzerTestOneInput).
#
# With ACLC_FUZZ=ON (clang) each becomes a libFuzzer binary, and
# fuzz_targets.txt in the build directory lists "binary corpus dictionary"
# per line for scripts/test.sh. Run one by hand with e.g.
#   build-fuzz/fuzz_hujson -dict=tests/fuzz/hujson.dict -max_total_time=60 \
#       NEW_CORPUS_DIR tests/fuzz/corpus/hujson
# In every other build each is linked with a small replay driver and its seed
# corpus runs under ctest (label "fuzz"), so past crashes stay fixed.

set(ACLC_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)

# Per target: the libraries it exercises, its seed corpus, its dictionary.
set(ACLC_FUZZ_TARGETS hujson)
set(ACLC_FUZZ_LIBS_hujson aclc_front)
set(ACLC_FUZZ_CORPUS_hujson ${ACLC_FUZZ_DIR}/corpus/hujson)
set(ACLC_FUZZ_DICT_hujson ${ACLC_FUZZ_DIR}/hujson.dict)

# The policy decoder, in both dialects.
list(APPEND ACLC_FUZZ_TARGETS policy_load)
set(ACLC_FUZZ_LIBS_policy_load aclc_front)
set(ACLC_FUZZ_CORPUS_policy_load ${ACLC_FUZZ_DIR}/corpus/policy)
set(ACLC_FUZZ_DICT_policy_load ${ACLC_FUZZ_DIR}/policy.dict)

# The signed bundle decoder, which nodes run on bytes from the network.
list(APPEND ACLC_FUZZ_TARGETS bundle)
set(ACLC_FUZZ_LIBS_bundle aclc_bundle)
set(ACLC_FUZZ_CORPUS_bundle ${ACLC_FUZZ_DIR}/corpus/bundle)
set(ACLC_FUZZ_DICT_bundle ${ACLC_FUZZ_DIR}/bundle.dict)

# The WireGuard receive path (runtime/wg), on datagrams from the network.
list(APPEND ACLC_FUZZ_TARGETS wg_messages)
set(ACLC_FUZZ_LIBS_wg_messages aclc_wg)
set(ACLC_FUZZ_CORPUS_wg_messages ${ACLC_FUZZ_DIR}/corpus/wg)
set(ACLC_FUZZ_DICT_wg_messages ${ACLC_FUZZ_DIR}/wg.dict)

# Further targets each define themselves in tests/fuzz/targets/NAME.cmake
# (list(APPEND ACLC_FUZZ_TARGETS NAME) and the three variables above).
file(GLOB ACLC_FUZZ_TARGET_FILES CONFIGURE_DEPENDS ${ACLC_FUZZ_DIR}/targets/*.cmake)
foreach(f ${ACLC_FUZZ_TARGET_FILES})
  include(${f})
endforeach()

set(ACLC_FUZZ_MANIFEST "")
set(ACLC_FUZZ_BINARIES "")
foreach(name ${ACLC_FUZZ_TARGETS})
  if(ACLC_FUZZ)
    add_executable(fuzz_${name} ${ACLC_FUZZ_DIR}/fuzz_${name}.cc)
    target_link_libraries(fuzz_${name} PRIVATE ${ACLC_FUZZ_LIBS_${name}})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    list(APPEND ACLC_FUZZ_BINARIES fuzz_${name})
    string(APPEND ACLC_FUZZ_MANIFEST
      "$<TARGET_FILE:fuzz_${name}> ${ACLC_FUZZ_CORPUS_${name}} ${ACLC_FUZZ_DICT_${name}}\n")
  else()
    add_executable(fuzz_${name}_replay ${ACLC_FUZZ_DIR}/fuzz_${name}.cc
                   ${ACLC_FUZZ_DIR}/replay_main.cc)
    target_link_libraries(fuzz_${name}_replay PRIVATE ${ACLC_FUZZ_LIBS_${name}})
    list(APPEND ACLC_FUZZ_BINARIES fuzz_${name}_replay)
    add_test(NAME fuzz_corpus_${name}
             COMMAND fuzz_${name}_replay ${ACLC_FUZZ_CORPUS_${name}})
    set_tests_properties(fuzz_corpus_${name} PROPERTIES LABELS fuzz TIMEOUT 300)
  endif()
endforeach()

# One target that builds every fuzz binary (or every replay driver).
add_custom_target(fuzz_all DEPENDS ${ACLC_FUZZ_BINARIES})
if(ACLC_FUZZ)
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/fuzz_targets.txt CONTENT "${ACLC_FUZZ_MANIFEST}")
endif()
