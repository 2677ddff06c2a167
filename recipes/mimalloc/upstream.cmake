# mimalloc's own tests (test-api, test-api-fill, test-stress from its
# CMakeLists) built from the verified source tree of our library with the
# very options our builder used (the manifest's configure_options, plus
# MI_BUILD_TESTS=ON), then run with ctest. Included by
# tests/upstream/run_upstream.cmake (script mode).
function(allocpipe_upstream_run)
  upstream_configure_options(options)
  list(TRANSFORM options REPLACE "^-DMI_BUILD_TESTS=.*" "-DMI_BUILD_TESTS=ON")
  if(NOT "-DMI_BUILD_TESTS=ON" IN_LIST options)
    list(APPEND options -DMI_BUILD_TESTS=ON)
  endif()
  set(tests "${WORK}/upstream-tests")
  file(REMOVE_RECURSE "${tests}")
  upstream_step("configure" "${WORK}/upstream-configure.log"
    "${CMAKE_COMMAND}" -S "${SRC}" -B "${tests}" -G "${GENERATOR}" ${options})
  upstream_step("build" "${WORK}/upstream-build.log" "${CMAKE_COMMAND}" --build "${tests}" --parallel ${JOBS})
  upstream_step("ctest (test-api, test-api-fill, test-stress)" "${WORK}/upstream-ctest.log"
    "${CMAKE_CTEST_COMMAND}" --test-dir "${tests}" --output-on-failure --no-tests=error)
endfunction()
