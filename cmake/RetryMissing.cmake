# Script mode (cmake -DSTATUS_DIR=<build>/status -P RetryMissing.cmake):
# removes every status file that says NOT BUILT, so the next `cmake --build`
# re-runs those libraries' fetch (ALLOC_MISSING_SOURCE=SKIP records a skip
# once and does not retry on every build).
file(GLOB statuses "${STATUS_DIR}/*.status")
set(count 0)
foreach(status IN LISTS statuses)
  file(READ "${status}" text)
  if(text MATCHES "^NOT BUILT")
    file(REMOVE "${status}")
    get_filename_component(name "${status}" NAME_WLE)
    message(STATUS "retry-missing: ${name} will be fetched again by the next build")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
message(STATUS "retry-missing: ${count} skipped librar(y/ies) forgotten; run cmake --build again")
