# meshd's bundle fetching without root (tests/meshd_control_test.cc): the
# fetch thread against an in-process control server, against no server
# (backoff), and against nginx serving a plain directory (static hosting).
if(TARGET aclc_meshd_core)
  pkg_check_modules(ACLC_MESHD_CONTROL_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib openssl)
  add_executable(aclc_meshd_control_tests ${CMAKE_CURRENT_LIST_DIR}/unit_main.cc
                 ${CMAKE_CURRENT_LIST_DIR}/meshd_control_test.cc)
  target_link_libraries(aclc_meshd_control_tests PRIVATE aclc_meshd_core
                        PkgConfig::ACLC_MESHD_CONTROL_HTTPLIB doctest::doctest)
  target_include_directories(aclc_meshd_control_tests PRIVATE ${PROJECT_SOURCE_DIR})
  add_test(NAME meshd_control COMMAND aclc_meshd_control_tests)
  set_tests_properties(meshd_control PROPERTIES TIMEOUT 120 LABELS unit)
endif()
