# Shared builder layer for CMake-based allocators (Buildroot's pkg-cmake):
# a family's builder.cmake lists its options, this configures and builds.
# Included by BuildLibrary.cmake before the family's builder.
#
#   allocpipe_cmake_package(OPTIONS <-DX=Y>... [TARGETS <target>...])
#       configures SRC_DIR into BUILD_DIR with this superbuild's generator and
#       compilers (C flags: -g plus the prefix map, so no build path is
#       recorded), builds it with JOBS jobs, and sets BUILD_OPTIONS (for the
#       manifest) in the caller's scope. For a foreign architecture
#       (TOOLCHAIN_FILE from the plan, e.g. cmake/toolchains/arm64.cmake) it
#       passes the toolchain file with the cross compilers.

function(allocpipe_cmake_package)
  cmake_parse_arguments(PARSE_ARGV 0 P "" "" "OPTIONS;TARGETS")
  set(cross "")
  set(cross_recorded "")
  if(NOT "${TOOLCHAIN_FILE}" STREQUAL "")
    set(cross "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN_FILE}")
    # The manifest names the project's file, not this source tree's path.
    get_filename_component(toolchain_name "${TOOLCHAIN_FILE}" NAME)
    set(cross_recorded "-DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/${toolchain_name}")
  endif()
  run_logged("configure" "${WORK_DIR}/configure.log"
    "${CMAKE_COMMAND}" -S "${SRC_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}" "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}"
    ${cross} "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_C_FLAGS=-g ${PREFIX_MAP}" ${P_OPTIONS})
  set(targets "")
  if(P_TARGETS)
    set(targets --target ${P_TARGETS})
  endif()
  run_logged("build" "${WORK_DIR}/build.log" "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --parallel ${JOBS} ${targets})
  set(BUILD_OPTIONS ${P_OPTIONS} ${cross_recorded} PARENT_SCOPE)
endfunction()
