# meshd's tests that need no root: every tests/runtime/*_test.cc goes into
# one doctest binary linking only the runtime's libraries (never Z3 or the
# policy front end, as meshd itself). Label "unit", so CI also runs it under
# ASan+UBSan.
file(GLOB ACLC_RUNTIME_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/runtime/*_test.cc)
if(ACLC_RUNTIME_TESTS)
  add_executable(aclc_runtime_tests unit_main.cc ${ACLC_RUNTIME_TESTS})
  target_link_libraries(aclc_runtime_tests PRIVATE aclc_meshd_core doctest::doctest)
  target_include_directories(aclc_runtime_tests PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(aclc_runtime_tests PRIVATE ACLC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME runtime COMMAND aclc_runtime_tests)
  set_tests_properties(runtime PROPERTIES TIMEOUT 300 LABELS unit)
else()
  add_custom_target(aclc_runtime_tests)
endif()
