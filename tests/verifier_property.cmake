# Trust in the verifier: on every conformance policy and on random policies,
# at least 10^6 random packets get the same verdict from Z3's encoding and
# from the reference evaluator (decide). A doctest binary of its own.
add_executable(aclc_verifier_property_tests unit_main.cc
               ${CMAKE_CURRENT_SOURCE_DIR}/verifier_property_test.cc)
target_link_libraries(aclc_verifier_property_tests PRIVATE aclc_front aclc_verifier doctest::doctest)
target_compile_definitions(aclc_verifier_property_tests PRIVATE ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME verifier_property COMMAND aclc_verifier_property_tests)
set_tests_properties(verifier_property PROPERTIES TIMEOUT 600 LABELS verifier)
