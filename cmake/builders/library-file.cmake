# allocpipe_one_real_file(<out_var> <glob>...): the one regular file (not a
# symlink) the globs match, or a fatal error listing what was there. Builders
# use it to pick the library a build produced (libfoo.so.1.2, not its links).
function(allocpipe_one_real_file out_var)
  file(GLOB candidates LIST_DIRECTORIES false ${ARGN})
  set(real "")
  foreach(candidate IN LISTS candidates)
    if(NOT IS_SYMLINK "${candidate}")
      list(APPEND real "${candidate}")
    endif()
  endforeach()
  list(LENGTH real count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "[${ID}] expected exactly one real file matching ${ARGN}, found: ${candidates}")
  endif()
  set(${out_var} "${real}" PARENT_SCOPE)
endfunction()

# allocpipe_log2(<power of two> <out_var>): its base-2 logarithm (65536 -> 16),
# for options such as jemalloc's --with-lg-page.
function(allocpipe_log2 value out_var)
  set(n "${value}")
  set(lg 0)
  while(n GREATER 1)
    math(EXPR rest "${n} % 2")
    if(NOT rest EQUAL 0)
      message(FATAL_ERROR "[${ID}] allocpipe_log2: ${value} is not a power of two")
    endif()
    math(EXPR n "${n} / 2")
    math(EXPR lg "${lg} + 1")
  endwhile()
  set(${out_var} "${lg}" PARENT_SCOPE)
endfunction()
