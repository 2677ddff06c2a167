# How to build any jemalloc 5.x release as a preloadable shared library, on
# the shared autotools layer (cmake/builders/autotools-package.cmake).
# Included by BuildLibrary.cmake with SRC_DIR, BUILD_DIR, VARIANT, ... set.

function(allocpipe_build)
  # The version string never comes from `git describe` of whatever repository
  # the build tree sits in. A recipe with UPSTREAM_COMMIT (a GitHub snapshot
  # has no VERSION file) states it: <version>-0-g<commit>, as upstream's
  # release tarball does; otherwise the release's own VERSION file.
  if(DEFINED UPSTREAM_COMMIT)
    set(options "--with-version=${VERSION}-0-g${UPSTREAM_COMMIT}")
  elseif(EXISTS "${SRC_DIR}/VERSION")
    set(options --with-version=VERSION)
  else()
    message(FATAL_ERROR "[${ID}] the source has no VERSION file (a git snapshot?) and the recipe has no UPSTREAM_COMMIT to write it from")
  endif()
  if(VARIANT STREQUAL "secure")
    # Cheap always-on checks (double free, sized-free size mismatch) plus
    # use-after-free detection on sampled allocations.
    list(APPEND options --enable-opt-safety-checks --enable-opt-size-checks --enable-uaf-detection)
  endif()
  # jemalloc compiles its page size in and refuses to start on a kernel with
  # larger pages ("<jemalloc>: Unsupported system page size"). configure
  # detects it by running a program, which a cross build cannot: it would
  # silently assume 4 KiB. A cross build states the target's (PAGE_SIZE,
  # ALLOC_PAGE_SIZE_<arch>); a native one keeps the detected size.
  if(DEFINED PAGE_SIZE)
    allocpipe_log2(${PAGE_SIZE} lg_page)
    list(APPEND options --with-lg-page=${lg_page})
  endif()
  allocpipe_autotools_package(OPTIONS ${options} TARGETS build_lib_shared GENERATE_CONFIGURE autoconf)
  set(BUILT_LIBRARY "${BUILD_DIR}/lib/libjemalloc.so.2" PARENT_SCOPE)
  set(BUILD_OPTIONS "${BUILD_OPTIONS}" PARENT_SCOPE)
endfunction()
