# How to build any mimalloc release as a preloadable shared library.
# Included by BuildLibrary.cmake with SRC_DIR, BUILD_DIR, VARIANT, ... set.

function(allocpipe_build)
  get_filename_component(dir_name "${BUILD_DIR}" NAME)
  if(dir_name MATCHES "([Ss]ecure|[Dd]ebug)$")
    message(FATAL_ERROR "[${ID}] build directory '${dir_name}' would trigger upstream's name-based build type")
  endif()
  if(VARIANT STREQUAL "secure")
    set(secure ON)
  else()
    set(secure OFF)
  endif()
  # Explicit everything: MI_OVERRIDE=ON is what makes LD_PRELOAD work at all.
  # MI_OPT_ARCH (3.x, default ON) adds -march=haswell -mtune=native: a library
  # that could SIGILL on older fleet hosts and differs per build host. Older
  # releases do not know the option and ignore it.
  set(options
    -DCMAKE_BUILD_TYPE=Release
    -DMI_SECURE=${secure}
    -DMI_OVERRIDE=ON
    -DMI_OPT_ARCH=OFF
    -DMI_BUILD_SHARED=ON
    -DMI_BUILD_STATIC=OFF
    -DMI_BUILD_OBJECT=OFF
    -DMI_BUILD_TESTS=OFF)
  run_logged("configure" "${WORK_DIR}/configure.log"
    "${CMAKE_COMMAND}" -S "${SRC_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}" "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}"
    "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_C_FLAGS=-g ${PREFIX_MAP}" ${options})
  run_logged("build" "${WORK_DIR}/build.log" "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --parallel ${JOBS})

  # Upstream names the file after the *effective* MI_SECURE, so the name
  # proves the variant: libmimalloc.so.X.Y or libmimalloc-secure.so.X.Y.
  if(secure)
    set(pattern "libmimalloc-secure.so.*")
  else()
    set(pattern "libmimalloc.so.*")
  endif()
  file(GLOB candidates LIST_DIRECTORIES false "${BUILD_DIR}/${pattern}")
  set(real "")
  foreach(candidate IN LISTS candidates)
    if(NOT IS_SYMLINK "${candidate}")
      list(APPEND real "${candidate}")
    endif()
  endforeach()
  list(LENGTH real count)
  if(NOT count EQUAL 1)
    file(GLOB all LIST_DIRECTORIES false "${BUILD_DIR}/libmimalloc*")
    message(FATAL_ERROR "[${ID}] expected exactly one ${pattern} in ${BUILD_DIR}, found: ${all}")
  endif()
  set(BUILT_LIBRARY "${real}" PARENT_SCOPE)
  set(BUILD_OPTIONS "${options}" PARENT_SCOPE)
endfunction()
