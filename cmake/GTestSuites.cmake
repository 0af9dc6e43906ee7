# latentlab_add_test_suites(<target> [PROPERTIES <name> <value>...]): one ctest test per GoogleTest suite of
# <target>, run as `<target> --gtest_filter=<Suite>.*` and named <Suite>. Like gtest_discover_tests' PRE_TEST
# mode, the suites are listed (`--gtest_list_tests`) when ctest starts, again only after the binary changed.
# Why per suite rather than per test case: every process loads LibTorch (~0.9 s of CPU) and runs the suite's
# SetUpTestSuite (weights, reference files); per test case that was ~2/3 of the suite's time (docs/benchmarks.md,
# "CI time"). A suite whose tests all skip counts as passed (its output says SKIPPED): a skip pattern would
# also hide a failure next to the skip.
set(LATENTLAB_GTEST_SUITES_LISTER ${CMAKE_CURRENT_LIST_DIR}/GTestSuitesList.cmake)

function(latentlab_add_test_suites target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "PROPERTIES")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites_include.cmake")
  file(GENERATE OUTPUT "${include_file}" CONTENT
"set(LATENTLAB_SUITES_TARGET [==[${target}]==])
set(LATENTLAB_SUITES_BINARY [==[$<TARGET_FILE:${target}>]==])
set(LATENTLAB_SUITES_WORKING_DIRECTORY [==[${CMAKE_CURRENT_BINARY_DIR}]==])
set(LATENTLAB_SUITES_PROPERTIES [==[${arg_PROPERTIES}]==])
set(LATENTLAB_SUITES_CACHE [==[${CMAKE_CURRENT_BINARY_DIR}/${target}_suites_tests.cmake]==])
set(LATENTLAB_SUITES_INCLUDE [==[${include_file}]==])
include([==[${LATENTLAB_GTEST_SUITES_LISTER}]==])
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
