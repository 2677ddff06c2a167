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
