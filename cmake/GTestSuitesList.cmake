# Run by ctest (through <target>_suites_include.cmake, GTestSuites.cmake): lists the suites of
# LATENTLAB_SUITES_BINARY and adds one test per suite. The add_test lines are kept in LATENTLAB_SUITES_CACHE
# and rewritten only when the binary or the include file (which holds the properties) is newer.
if(NOT EXISTS "${LATENTLAB_SUITES_BINARY}")
  # As gtest_discover_tests does: a test that fails, so that a binary missing from the build is not silent.
  add_test("${LATENTLAB_SUITES_TARGET}_NOT_BUILT" "${LATENTLAB_SUITES_TARGET}_NOT_BUILT")
  return()
endif()

if(NOT EXISTS "${LATENTLAB_SUITES_CACHE}" OR "${LATENTLAB_SUITES_BINARY}" IS_NEWER_THAN "${LATENTLAB_SUITES_CACHE}"
   OR "${LATENTLAB_SUITES_INCLUDE}" IS_NEWER_THAN "${LATENTLAB_SUITES_CACHE}")
  execute_process(COMMAND "${LATENTLAB_SUITES_BINARY}" --gtest_list_tests
                  WORKING_DIRECTORY "${LATENTLAB_SUITES_WORKING_DIRECTORY}"
                  OUTPUT_VARIABLE listing ERROR_VARIABLE listing_error RESULT_VARIABLE listing_status
                  TIMEOUT 60)
  if(NOT listing_status EQUAL 0)
    message(FATAL_ERROR "${LATENTLAB_SUITES_BINARY} --gtest_list_tests failed (${listing_status}): ${listing_error}")
  endif()
  # Parameter values in the listing may hold ';', CMake's list separator.
  string(REPLACE ";" "<semicolon>" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  set(properties "")
  foreach(item IN LISTS LATENTLAB_SUITES_PROPERTIES)
    string(APPEND properties " [==[${item}]==]")
  endforeach()
  set(tests "")
  foreach(line IN LISTS lines)
    # A suite line is unindented: "Suite." or "Prefix/Suite.  # TypeParam = ..."; its cases follow, indented.
    if(line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
      set(suite "${CMAKE_MATCH_1}")
      if(NOT suite MATCHES "(^|/)DISABLED_")
        string(APPEND tests "add_test([==[${suite}]==] [==[${LATENTLAB_SUITES_BINARY}]==] [==[--gtest_filter=${suite}.*]==])\n"
               "set_tests_properties([==[${suite}]==] PROPERTIES WORKING_DIRECTORY "
               "[==[${LATENTLAB_SUITES_WORKING_DIRECTORY}]==]${properties})\n")
      endif()
    endif()
  endforeach()
  file(WRITE "${LATENTLAB_SUITES_CACHE}" "${tests}")
endif()
include("${LATENTLAB_SUITES_CACHE}")
