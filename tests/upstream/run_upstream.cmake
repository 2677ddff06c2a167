cmake_minimum_required(VERSION 3.25)
# ctest upstream.<id>: the allocator family's own test suite, run the way its
# family folder says (recipes/<family>/upstream.cmake, which defines
# allocpipe_upstream_run()), against the source tree and build our library
# came from.
#   -DID= -DFAMILY_DIR= -DSTATUS=<status/<id>.status> -DLIBRARY= -DMANIFEST=
#   -DWORK=<work/<id>> -DVERSION= -DVARIANT= -DGENERATOR= -DJOBS=
# The build status decides: NOT BUILT -> reported as skipped with its reason
# ("NOT BUILT HERE", the test's SKIP_REGULAR_EXPRESSION); BUILT but the
# verified tree or library missing -> failure; no status -> failure.
foreach(var ID FAMILY_DIR STATUS LIBRARY MANIFEST WORK VERSION VARIANT GENERATOR JOBS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_upstream.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${STATUS}")
  message(FATAL_ERROR "${ID}: no build status at ${STATUS}: the superbuild has not been run (cmake --build)")
endif()
file(READ "${STATUS}" status)
if(status MATCHES "^NOT BUILT: ")
  string(REPLACE "NOT BUILT: " "NOT BUILT HERE: " status "${status}")
  message("${status}")
  return()
endif()
if(NOT status MATCHES "^BUILT: ")
  message(FATAL_ERROR "${ID}: unexpected build status in ${STATUS}: ${status}")
endif()
set(SRC "${WORK}/src")
set(BUILD "${WORK}/build")
foreach(needed "${SRC}" "${BUILD}" "${LIBRARY}" "${MANIFEST}")
  if(NOT EXISTS "${needed}")
    message(FATAL_ERROR "${ID}: the status says BUILT but ${needed} is missing; rebuild it (cmake --build)")
  endif()
endforeach()
file(READ "${MANIFEST}" MANIFEST_JSON)
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/LogTail.cmake")
include("${CMAKE_CURRENT_LIST_DIR}/../../cmake/builders/library-file.cmake")  # allocpipe_one_real_file()

# Runs a step with its output in <log>; on failure prints the log's tail.
function(upstream_step step log)
  execute_process(COMMAND ${ARGN} OUTPUT_FILE "${log}" ERROR_FILE "${log}" RESULT_VARIABLE rc)
  if(NOT rc STREQUAL "0")
    allocpipe_log_tail("${log}" 60 tail)
    message(FATAL_ERROR "${ID}: upstream ${step} failed (${rc}); full log: ${log}\n    ${tail}")
  endif()
  message(STATUS "${ID}: upstream ${step}: ok (log: ${log})")
endfunction()

# The build options our library was configured with (the manifest's list).
function(upstream_configure_options out_var)
  string(JSON n LENGTH "${MANIFEST_JSON}" configure_options)
  set(options "")
  if(n GREATER 0)
    math(EXPR last "${n} - 1")
    foreach(i RANGE ${last})
      string(JSON option GET "${MANIFEST_JSON}" configure_options ${i})
      list(APPEND options "${option}")
    endforeach()
  endif()
  set(${out_var} "${options}" PARENT_SCOPE)
endfunction()

# The upstream tests that link the build tree's library run against our
# library only if that file is the one we published.
function(upstream_require_same_library built)
  file(SHA256 "${built}" a)
  file(SHA256 "${LIBRARY}" b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${ID}: ${built} is not the published ${LIBRARY} (sha256 ${a} vs ${b}); rebuild it")
  endif()
endfunction()

include("${FAMILY_DIR}/upstream.cmake")
allocpipe_upstream_run()
message(STATUS "${ID}: upstream tests passed")
