# How to build any jemalloc 5.x release as a preloadable shared library.
# Included by BuildLibrary.cmake with SRC_DIR, BUILD_DIR, VARIANT, ... set.

function(allocpipe_build)
  # The release's VERSION file, never `git describe` of whatever repository
  # the build tree happens to sit in.
  set(options --with-version=VERSION)
  if(VARIANT STREQUAL "secure")
    # Cheap always-on checks (double free, sized-free size mismatch) plus
    # use-after-free detection on sampled allocations.
    list(APPEND options --enable-opt-safety-checks --enable-opt-size-checks --enable-uaf-detection)
  endif()
  # Out-of-tree build (jemalloc supports objroot != srcroot): the extracted
  # source stays pristine.
  run_logged("configure" "${WORK_DIR}/configure.log"
    "${CMAKE_COMMAND}" -E env "CC=${C_COMPILER}" "CXX=${CXX_COMPILER}"
      "CFLAGS=-O2 -g ${PREFIX_MAP}" "CXXFLAGS=-O2 -g ${PREFIX_MAP}"
    "${SRC_DIR}/configure" ${options})
  run_logged("build" "${WORK_DIR}/build.log" make -j${JOBS} build_lib_shared)
  set(BUILT_LIBRARY "${BUILD_DIR}/lib/libjemalloc.so.2" PARENT_SCOPE)
  set(BUILD_OPTIONS "${options}" PARENT_SCOPE)
endfunction()
