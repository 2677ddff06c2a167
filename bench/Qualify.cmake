# CMake interface of the qualification benchmark. bench/CMakeLists.txt
# includes this file, so after add_subdirectory(bench) the parent can call:
#
#   allocpipe_bench_register(NAME <label> LIBRARY <abs path> [DEPENDS <target>...] [IF_BUILT])
#       IF_BUILT: NAME is a superbuild id; the runner reads <STATUS_DIR>/NAME.status:
#       NOT BUILT is reported "not measured" (with the reason), BUILT is
#       measured, and a failed build (no status, or the library missing) is
#       an error: a run never passes having quietly measured less.
#       Adds a preloadable allocator library to the matrix. LIBRARY may be a
#       generator expression such as $<TARGET_FILE:mimalloc-3.0.1>; DEPENDS
#       names targets that build it (the qualify target depends on them).
#   allocpipe_bench_finish([STATUS_DIR <dir>])
#       Once, after the last register (STATUS_DIR: the superbuild's status/
#       directory, required when a library was registered IF_BUILT): creates the `qualify` custom target
#       (full run over the registered libraries + glibc, report under
#       ${CMAKE_BINARY_DIR}/qualify/) and the ctest tests bench.quick and
#       bench.gate (LABELS bench).
#   allocpipe_bench_add_emulated(ARCH <arch> ID <id> STATUS <file> LIBRARY <file> STAMP <file>
#                                WORKLOAD <path> EMULATOR <qemu> EMULATOR_PREFIX <dir> [DEPENDS <target>...])
#       ctest bench.quick.<id>_<arch> (LABELS bench;<arch>): a --quick run of
#       the <arch> build of <id> and of glibc, the <arch> workload (the cross
#       sub-build's) run under the emulator; its report must be complete and
#       say that RSS is meaningful under qemu-user and speed is not. Skipped
#       (NOT BUILT HERE) when the library was not built; refused when its
#       smoke stamp is missing or older than the library.
#
# Cache variables: ALLOCPIPE_BENCH_QUALIFY_ARGS (extra runner arguments for
# `qualify`, e.g. "--repeats;3;--arm;mimalloc-3.0.1:MIMALLOC_PURGE_DELAY=0");
# ALLOC_QUALIFY_DEBIAN (Debian binary packages measured as arms next to the
# built libraries, a list of NAME=PACKAGE=VERSION, VERSION "newest" = the
# newest of bookworm/trixie/sid that loads here; needs the allocpipe-smoke
# target, whose identity and api checks every package must pass first).
include_guard(GLOBAL)

set(ALLOCPIPE_BENCH_QUALIFY_ARGS "" CACHE STRING
    "Extra allocpipe-qualify arguments for the qualify target (a CMake list)")
# The fleet's 3.0.1 group ran Debian 13's binary; 2.0.9 and jemalloc 5.3.0 are
# Debian 12's; the newest libmimalloc3 shows whether 3.x still grows.
set(ALLOC_QUALIFY_DEBIAN
    "debian13-mimalloc-3.0.1=libmimalloc3=3.0.1+ds-2.1;debian12-mimalloc-2.0.9=libmimalloc2.0=2.0.9+ds-2;debian12-jemalloc-5.3.0=libjemalloc2=5.3.0-1;debian-newest-mimalloc3=libmimalloc3=newest"
    CACHE STRING "Debian binary packages measured by qualify and bench.quick: NAME=PACKAGE=VERSION;... (empty: none)")

function(allocpipe_bench_register)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "IF_BUILT" "NAME;LIBRARY" "DEPENDS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "allocpipe_bench_register: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z0-9._+-]+$")
    message(FATAL_ERROR "allocpipe_bench_register: NAME '${ARG_NAME}' must be non-empty [A-Za-z0-9._+-]")
  endif()
  if(ARG_NAME STREQUAL "glibc")
    message(FATAL_ERROR "allocpipe_bench_register: NAME 'glibc' is reserved (glibc is always measured)")
  endif()
  if(NOT ARG_LIBRARY)
    message(FATAL_ERROR "allocpipe_bench_register(NAME ${ARG_NAME}): LIBRARY <absolute path> is required")
  endif()
  if(NOT ARG_LIBRARY MATCHES "^\\$<" AND NOT IS_ABSOLUTE "${ARG_LIBRARY}")
    message(FATAL_ERROR "allocpipe_bench_register(NAME ${ARG_NAME}): LIBRARY '${ARG_LIBRARY}' is not an absolute path")
  endif()
  get_property(names GLOBAL PROPERTY ALLOCPIPE_BENCH_NAMES)
  if(ARG_NAME IN_LIST names)
    message(FATAL_ERROR "allocpipe_bench_register: NAME '${ARG_NAME}' registered twice")
  endif()
  get_property(finished GLOBAL PROPERTY ALLOCPIPE_BENCH_FINISHED)
  if(finished)
    message(FATAL_ERROR "allocpipe_bench_register(NAME ${ARG_NAME}): called after allocpipe_bench_finish()")
  endif()
  set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_BENCH_NAMES "${ARG_NAME}")
  set(flag --lib)
  if(ARG_IF_BUILT)
    set(flag --lib-if-built)
  endif()
  set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_BENCH_LIB_ARGS "${flag}" "${ARG_NAME}=${ARG_LIBRARY}")
  if(ARG_DEPENDS)
    set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_BENCH_DEPENDS ${ARG_DEPENDS})
  endif()
endfunction()

function(allocpipe_bench_add_emulated)
  cmake_parse_arguments(PARSE_ARGV 0 E "" "ARCH;ID;STATUS;LIBRARY;STAMP;WORKLOAD;EMULATOR;EMULATOR_PREFIX" "")
  foreach(required ARCH ID STATUS LIBRARY STAMP WORKLOAD EMULATOR EMULATOR_PREFIX)
    if(NOT E_${required})
      message(FATAL_ERROR "allocpipe_bench_add_emulated: ${required} is required")
    endif()
  endforeach()
  set(name "${E_ID}_${E_ARCH}")
  add_test(NAME bench.quick.${name}
    COMMAND ${CMAKE_COMMAND} "-DSTATUS=${E_STATUS}" "-DSTAMP=${E_STAMP}" "-DLIBRARY=${E_LIBRARY}"
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/tests/emulated_quick.cmake --
            $<TARGET_FILE:allocpipe-qualify> --workload ${E_WORKLOAD}
            --emulator ${E_EMULATOR} --emulator-prefix ${E_EMULATOR_PREFIX}
            --lib ${E_ID}=${E_LIBRARY} --glibc --quick --repeats 1 --check
            --title "${E_ID} for ${E_ARCH} under qemu-user (quick)"
            --out ${CMAKE_BINARY_DIR}/qualify-quick-${E_ARCH})
  # Two quick runs under emulation; TIMEOUT guards against hangs only.
  set_tests_properties(bench.quick.${name} PROPERTIES LABELS "bench;${E_ARCH}" RUN_SERIAL TRUE TIMEOUT 1200
                       SKIP_REGULAR_EXPRESSION "NOT BUILT HERE")
endfunction()

function(allocpipe_bench_finish)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "STATUS_DIR" "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "allocpipe_bench_finish: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  get_property(finished GLOBAL PROPERTY ALLOCPIPE_BENCH_FINISHED)
  if(finished)
    message(FATAL_ERROR "allocpipe_bench_finish: called twice")
  endif()
  set_property(GLOBAL PROPERTY ALLOCPIPE_BENCH_FINISHED TRUE)
  get_property(lib_args GLOBAL PROPERTY ALLOCPIPE_BENCH_LIB_ARGS)
  if("--lib-if-built" IN_LIST lib_args)
    if(NOT ARG_STATUS_DIR)
      message(FATAL_ERROR "allocpipe_bench_finish: STATUS_DIR <dir> is required: a library was registered IF_BUILT")
    endif()
    list(APPEND lib_args --status-dir "${ARG_STATUS_DIR}")
  endif()
  get_property(deps GLOBAL PROPERTY ALLOCPIPE_BENCH_DEPENDS)
  set(runner $<TARGET_FILE:allocpipe-qualify>)
  set(workload $<TARGET_FILE:allocpipe-relay-workload>)
  if(ALLOC_QUALIFY_DEBIAN AND TARGET allocpipe-smoke)
    list(APPEND lib_args --smoke $<TARGET_FILE:allocpipe-smoke>)
    list(APPEND deps allocpipe-smoke allocpipe-smoke-probe)
    if(DEFINED ALLOC_DOWNLOAD_DIR)
      list(APPEND lib_args --download-cache ${ALLOC_DOWNLOAD_DIR})
    endif()
    foreach(entry IN LISTS ALLOC_QUALIFY_DEBIAN)
      if(NOT entry MATCHES "^([A-Za-z0-9._+-]+)=([a-z0-9.+-]+=[^= ]+)$")
        message(FATAL_ERROR "ALLOC_QUALIFY_DEBIAN: '${entry}' is not NAME=PACKAGE=VERSION")
      endif()
      list(APPEND lib_args --lib "${CMAKE_MATCH_1}=debian:${CMAKE_MATCH_2}")
    endforeach()
  elseif(ALLOC_QUALIFY_DEBIAN)
    message(WARNING "ALLOC_QUALIFY_DEBIAN is set but there is no allocpipe-smoke target: Debian arms are not measured")
  endif()

  # One repeat: twelve arms (seven built ids, four Debian binaries, glibc) at
  # ~75 s a run fit about 20 minutes; ALLOCPIPE_BENCH_QUALIFY_ARGS=--repeats;2
  # adds the spreads (and doubles the time). bench.quick has two repeats.
  add_custom_target(qualify
    COMMAND ${runner} --workload ${workload} ${lib_args} --glibc
            --out ${CMAKE_BINARY_DIR}/qualify --check --repeats 1 ${ALLOCPIPE_BENCH_QUALIFY_ARGS}
    DEPENDS allocpipe-qualify allocpipe-relay-workload ${deps}
    USES_TERMINAL VERBATIM
    COMMENT "Allocator qualification (about 20 minutes); report in ${CMAKE_BINARY_DIR}/qualify/summary.md")

  # The report is produced and sane; no allocator has to win.
  # Two repeats, so that two builds of one allocator version can be compared
  # with a repeat spread.
  add_test(NAME bench.quick
    COMMAND ${runner} --workload ${workload} ${lib_args} --glibc --quick --repeats 2 --check
            --out ${CMAKE_BINARY_DIR}/qualify-quick)
  # The gate catches growth: an arm that leaks 20 MB per simulated hour must
  # fail against plain glibc (exit status exactly 1).
  add_test(NAME bench.gate
    COMMAND ${CMAKE_COMMAND} -DEXPECT_EXIT=1 "-DEXPECT_OUTPUT=gate FAIL: candidate leaky"
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/tests/expect_exit.cmake
            ${runner} --workload ${workload} --glibc --arm leaky=glibc:ALLOCPIPE_LEAK_MB_PER_HOUR=20
            --quick --no-png --out ${CMAKE_BINARY_DIR}/qualify-gate
            --gate --baseline glibc --candidate leaky --max-slope-margin 5 --max-rss-margin 25%)
  set_tests_properties(bench.quick bench.gate PROPERTIES LABELS bench RUN_SERIAL TRUE TIMEOUT 900)
  # About 4 minutes on an idle 2-core machine (18 quick runs plus the Debian
  # downloads and smoke checks); a machine shared with builds can take 3x.
  set_tests_properties(bench.quick PROPERTIES TIMEOUT 2400)
endfunction()
