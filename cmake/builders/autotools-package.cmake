# Shared builder layer for autotools-based allocators (Buildroot's
# pkg-autotools): a family's builder.cmake lists its options, this
# configures and builds. Included by BuildLibrary.cmake before the builder.
#
#   allocpipe_autotools_package(OPTIONS <--flag>... TARGETS <make target>...
#                               [GENERATE_CONFIGURE <command>...])
#       A tag snapshot has no generated configure: GENERATE_CONFIGURE (e.g.
#       "autoreconf -fi" or "autoconf") is then run in SRC_DIR first; a
#       release tarball's own configure is used as shipped. Configures out of
#       tree in BUILD_DIR (the extracted source stays as verified apart from
#       the generated files) with this superbuild's compilers, -O2 -g and the
#       prefix map, runs make -jJOBS TARGETS, and sets BUILD_OPTIONS (for the
#       manifest) in the caller's scope. For a foreign architecture
#       (CROSS_HOST from the plan, e.g. aarch64-linux-gnu) it configures with
#       --build=<this host's triplet> --host=CROSS_HOST and the cross CC/CXX.

function(allocpipe_autotools_package)
  cmake_parse_arguments(PARSE_ARGV 0 P "" "" "OPTIONS;TARGETS;GENERATE_CONFIGURE")
  if(NOT P_TARGETS)
    message(FATAL_ERROR "[${ID}] allocpipe_autotools_package: TARGETS is required")
  endif()
  set(generated "")
  if(NOT EXISTS "${SRC_DIR}/configure")
    if(NOT P_GENERATE_CONFIGURE)
      message(FATAL_ERROR "[${ID}] ${SRC_DIR} has no configure script and the builder gives no GENERATE_CONFIGURE command")
    endif()
    list(GET P_GENERATE_CONFIGURE 0 tool)
    find_program(tool_path "${tool}" NO_CACHE)
    if(NOT tool_path)
      message(FATAL_ERROR "[${ID}] the source is a snapshot without configure and '${tool}' is not installed "
                          "(Debian packages autoconf automake libtool; scripts/setup-debian.sh installs them)")
    endif()
    run_logged("generate configure (${P_GENERATE_CONFIGURE})" "${WORK_DIR}/generate-configure.log"
      "${CMAKE_COMMAND}" -E chdir "${SRC_DIR}" ${P_GENERATE_CONFIGURE})
    set(generated "generated configure with: ${P_GENERATE_CONFIGURE}")
  endif()
  set(cross "")
  if(NOT "${CROSS_HOST}" STREQUAL "")
    set(cross "--build=${BUILD_TRIPLET}" "--host=${CROSS_HOST}")
  endif()
  run_logged("configure" "${WORK_DIR}/configure.log"
    "${CMAKE_COMMAND}" -E env "CC=${C_COMPILER}" "CXX=${CXX_COMPILER}"
      "CFLAGS=-O2 -g ${PREFIX_MAP}" "CXXFLAGS=-O2 -g ${PREFIX_MAP}"
    "${SRC_DIR}/configure" ${cross} ${P_OPTIONS})
  run_logged("build" "${WORK_DIR}/build.log" make -j${JOBS} ${P_TARGETS})
  set(BUILD_OPTIONS ${cross} ${P_OPTIONS} ${generated} PARENT_SCOPE)
endfunction()
