# allocpipe_log_tail(<log> <lines> <out_var>): the last <lines> lines of a
# log file, joined for a FATAL_ERROR message (each on its own indented line).
# Shared by cmake/BuildLibrary.cmake and tests/upstream/run_upstream.cmake.
function(allocpipe_log_tail log lines out_var)
  file(STRINGS "${log}" all)
  list(LENGTH all count)
  if(count GREATER lines)
    math(EXPR first "${count} - ${lines}")
    list(SUBLIST all ${first} ${lines} all)
  endif()
  list(JOIN all "\n    " tail)
  set(${out_var} "${tail}" PARENT_SCOPE)
endfunction()
