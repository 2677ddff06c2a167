# How to build gperftools' libtcmalloc_minimal (tcmalloc without the heap
# profiler/checker, which need libunwind and stack walking and are not for
# preloading into production daemons) as a preloadable shared library, on the
# shared autotools layer (cmake/builders/autotools-package.cmake). A tag
# snapshot has no configure: autoreconf generates it.

function(allocpipe_build)
  set(options --enable-minimal --disable-debugalloc --disable-libunwind --disable-static)
  # tcmalloc's pages are its own (8 KiB by default) and work on any kernel,
  # but memory goes back to the kernel only in whole kernel pages: on 64 KiB
  # kernels gperftools' own choice (its default on ppc64) is 64 KiB pages.
  if(DEFINED PAGE_SIZE AND PAGE_SIZE GREATER 8192)
    math(EXPR kib "${PAGE_SIZE} / 1024")
    list(APPEND options --with-tcmalloc-pagesize=${kib})
  endif()
  allocpipe_autotools_package(OPTIONS ${options} TARGETS libtcmalloc_minimal.la
                              GENERATE_CONFIGURE autoreconf -fi)
  allocpipe_one_real_file(real "${BUILD_DIR}/.libs/libtcmalloc_minimal.so.*")
  set(BUILT_LIBRARY "${real}" PARENT_SCOPE)
  set(BUILD_OPTIONS "${BUILD_OPTIONS}" PARENT_SCOPE)
endfunction()
