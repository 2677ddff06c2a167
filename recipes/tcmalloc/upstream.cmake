# gperftools' own tcmalloc tests that exercise the public allocator through
# the shared libtcmalloc_minimal (they link the build tree's
# .libs/libtcmalloc_minimal.so.*, which must be the very file published as
# our library), built in the build tree our library came from and run
# through their libtool wrappers. Not run: tests that compile tcmalloc's
# sources into the test itself (tcm_min_asserts_unittest, page_heap_test,
# pagemap_unittest, packed_cache_test, addressmap, system_alloc,
# stack_trace_table_test: they test internals, not the published library),
# the large-heap fragmentation test (allocates several GiB) and the
# profiler/checker/debugalloc tests (not built with --enable-minimal).
# Included by tests/upstream/run_upstream.cmake (script mode).
set(_tcmalloc_upstream_tests
  tcmalloc_minimal_unittest tcmalloc_minimal_large_unittest frag_unittest markidle_unittest
  current_allocated_bytes_test malloc_hook_test malloc_extension_test malloc_extension_c_test
  memalign_unittest realloc_unittest thread_dealloc_unittest)

function(allocpipe_upstream_run)
  allocpipe_one_real_file(real "${BUILD}/.libs/libtcmalloc_minimal.so.*")
  upstream_require_same_library("${real}")
  upstream_step("build (${_tcmalloc_upstream_tests})" "${WORK}/upstream-build.log"
    make -C "${BUILD}" -j${JOBS} ${_tcmalloc_upstream_tests})
  foreach(test IN LISTS _tcmalloc_upstream_tests)
    set(pin "")
    if(test STREQUAL "tcmalloc_minimal_unittest")
      # Its test threads also check their own TryLock() statistics
      # (CHECK_LE(locks_failed_, locks_ok_ / 2) in TesterThread), which a
      # loaded machine breaks when a lock holder is descheduled while the
      # others spin on other CPUs: a test-harness timing assertion, not an
      # allocator check. On one CPU the threads still interleave (preemption)
      # and the assertion holds.
      set(pin taskset -c 0)
    endif()
    upstream_step("${test}" "${WORK}/upstream-${test}.log"
      "${CMAKE_COMMAND}" -E chdir "${BUILD}" ${pin} "./${test}")
  endforeach()
endfunction()
