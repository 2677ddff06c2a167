# jemalloc's integration tests (test/integration/*: the public API, C and
# C++, linked against the build tree's lib/libjemalloc.so.2, which must be
# the very file published as our library), built and run with upstream's
# `make check_integration` in the build tree our library came from. Not run:
# the unit tests (they link jemalloc's internals statically, so they test a
# different object than the published library) and the decay/prof variants
# of check_integration (the same programs again under other MALLOC_CONF;
# prof is not enabled in our builds). Included by
# tests/upstream/run_upstream.cmake (script mode).
function(allocpipe_upstream_run)
  upstream_require_same_library("${BUILD}/lib/libjemalloc.so.2")
  upstream_step("build (make tests_integration)" "${WORK}/upstream-build.log"
    make -C "${BUILD}" -j${JOBS} tests_integration)
  upstream_step("run (make check_integration)" "${WORK}/upstream-check.log"
    make -C "${BUILD}" check_integration)
  file(READ "${WORK}/upstream-check.log" log)
  if(NOT log MATCHES "Test suite summary: pass: [0-9]+/[0-9]+, skip: [0-9]+/[0-9]+, fail: 0/")
    message(FATAL_ERROR "${ID}: no passing 'Test suite summary' in ${WORK}/upstream-check.log")
  endif()
  string(REGEX MATCH "Test suite summary: [^\n]*" summary "${log}")
  message(STATUS "${ID}: ${summary}")
endfunction()
