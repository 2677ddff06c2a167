# The fetcher's unit tests (GoogleTest; one ctest test per TEST, label
# "unit"). Included by tests/CMakeLists.txt and by fuzz/CMakeLists.txt, whose
# sanitizer build runs the same tests under ASan/UBSan.
set(_fetch_tests_dir ${CMAKE_CURRENT_LIST_DIR})
set(_fetch_support_dir ${CMAKE_CURRENT_LIST_DIR}/../support)

if(NOT TARGET GTest::gtest_main)
  find_package(GTest REQUIRED)
endif()
add_library(allocpipe_test_support STATIC
  ${_fetch_support_dir}/http_server.cpp ${_fetch_support_dir}/archive_builder.cpp
  ${_fetch_support_dir}/raw_tar.cpp ${_fetch_support_dir}/process.cpp)
target_include_directories(allocpipe_test_support PUBLIC ${_fetch_support_dir})
target_link_libraries(allocpipe_test_support PUBLIC LibArchive::LibArchive Threads::Threads)
target_compile_features(allocpipe_test_support PUBLIC cxx_std_17)
# Tests that need separate processes (concurrency, kill -9, a full disk) run the real tool.
target_compile_definitions(allocpipe_test_support PRIVATE ALLOCPIPE_FETCH_BINARY="$<TARGET_FILE:allocpipe-fetch>")

add_executable(allocpipe-fetch-tests
  ${_fetch_tests_dir}/sha256_test.cpp ${_fetch_tests_dir}/extract_test.cpp ${_fetch_tests_dir}/locate_test.cpp
  ${_fetch_tests_dir}/hostile_test.cpp ${_fetch_tests_dir}/network_test.cpp ${_fetch_tests_dir}/cache_test.cpp
  ${_fetch_tests_dir}/cli_test.cpp ${_fetch_tests_dir}/tree_writer_test.cpp ${_fetch_tests_dir}/debian_test.cpp)
target_link_libraries(allocpipe-fetch-tests PRIVATE allocpipe_fetch allocpipe_test_support GTest::gtest_main)
add_dependencies(allocpipe-fetch-tests allocpipe-fetch)
include(GoogleTest)
gtest_discover_tests(allocpipe-fetch-tests TEST_PREFIX "fetch." PROPERTIES LABELS "unit" TIMEOUT 120
                     DISCOVERY_TIMEOUT 60)
