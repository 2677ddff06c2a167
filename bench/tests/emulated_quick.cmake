# ctest bench.quick.<id>_<arch>: a quick qualification of one foreign-
# architecture library under user-mode emulation (bench/Qualify.cmake).
#   cmake -DSTATUS=<status/A/X.status> -DSTAMP=<smoke/A/X.passed> -DLIBRARY=<lib>
#         -P emulated_quick.cmake -- <allocpipe-qualify> <args...>
# A library the superbuild did not build is reported as skipped (NOT BUILT
# HERE, with the reason); one that has not passed its smoke gate under
# emulation is never measured (the gate comes first, as for native).
cmake_minimum_required(VERSION 3.25)
set(cmd "")
set(collect FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
  if(collect)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(collect TRUE)
  endif()
endforeach()
if(NOT EXISTS "${STATUS}")
  message(FATAL_ERROR "no build status at ${STATUS}: the superbuild has not been run (cmake --build)")
endif()
file(READ "${STATUS}" status)
if(status MATCHES "^NOT BUILT")
  message("NOT BUILT HERE: ${status}")
  return()
endif()
if(NOT EXISTS "${STAMP}" OR NOT "${STAMP}" IS_NEWER_THAN "${LIBRARY}")
  message(FATAL_ERROR "${LIBRARY} has not passed its smoke gate (${STAMP} missing or older): "
                      "not measured. Run: cmake --build <dir> --target smoke")
endif()
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc)
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "allocpipe-qualify under emulation failed (exit status ${rc})")
endif()
