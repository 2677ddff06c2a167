# How to build any mimalloc release as a preloadable shared library, on the
# shared CMake layer (cmake/builders/cmake-package.cmake).
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
  # No page-size option: mimalloc asks the kernel at run time
  # (sysconf(_SC_PAGESIZE) in src/os.c) and its 64 KiB slices fit 4, 16 and
  # 64 KiB kernel pages alike (README "Page sizes").
  allocpipe_cmake_package(OPTIONS ${options})

  # Upstream names the file after the *effective* MI_SECURE, so the name
  # proves the variant: libmimalloc.so.X.Y or libmimalloc-secure.so.X.Y.
  if(secure)
    set(pattern "libmimalloc-secure.so.*")
  else()
    set(pattern "libmimalloc.so.*")
  endif()
  allocpipe_one_real_file(real "${BUILD_DIR}/${pattern}")
  set(BUILT_LIBRARY "${real}" PARENT_SCOPE)
  set(BUILD_OPTIONS "${BUILD_OPTIONS}" PARENT_SCOPE)
endfunction()
