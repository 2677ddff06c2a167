# Every user-facing knob of the superbuild, documented in README.md.

set(ALLOC_BUILD "all" CACHE STRING
  "Library ids to build (;-list), or 'all'. Unknown ids are a configure error.")
set(ALLOC_LIBDIR "/usr/local/lib/mimalloc" CACHE PATH
  "Where 'cmake --install' puts the libraries and manifests (DESTDIR is honoured).")

if(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
  set(_alloc_cache_default "$ENV{XDG_CACHE_HOME}/allocpipe/downloads")
elseif(DEFINED ENV{HOME} AND NOT "$ENV{HOME}" STREQUAL "")
  set(_alloc_cache_default "$ENV{HOME}/.cache/allocpipe/downloads")
else()
  set(_alloc_cache_default "${CMAKE_BINARY_DIR}/downloads")
endif()
set(ALLOC_DOWNLOAD_DIR "${_alloc_cache_default}" CACHE PATH
  "Content-addressed download cache (by SHA-256), shared between build trees.")
set(ALLOC_MIRRORS "" CACHE STRING
  "Mirrors tried before upstream (;-list of http(s) base URLs or local directories holding <source file name>).")
option(ALLOC_OFFLINE "Use only the download cache and apt; never contact mirrors or upstream." OFF)
set(ALLOC_DEBIAN_SOURCES "AUTO" CACHE STRING
  "Use 'apt-get source' as an authenticated alternate: AUTO (when deb-src entries exist), ON, OFF.")
set_property(CACHE ALLOC_DEBIAN_SOURCES PROPERTY STRINGS AUTO ON OFF)
set(ALLOC_MISSING_SOURCE "FAIL" CACHE STRING
  "When no place serves a library's source: FAIL the build, or SKIP that library and record why.")
set_property(CACHE ALLOC_MISSING_SOURCE PROPERTY STRINGS FAIL SKIP)
set(ALLOC_RECIPES_DIR "${PROJECT_SOURCE_DIR}/recipes" CACHE PATH "Recipe data: <allocator>/<version>.recipe and .hash.")
set(ALLOC_PATCHES_DIR "${PROJECT_SOURCE_DIR}/patches" CACHE PATH "Patches: <allocator>/<version>/*.patch, applied in name order.")
set(ALLOC_FETCHER "" CACHE FILEPATH "A prebuilt allocpipe-fetch to use instead of building one (tests use this).")
cmake_host_system_information(RESULT _alloc_cores QUERY NUMBER_OF_LOGICAL_CORES)
set(ALLOC_JOBS "${_alloc_cores}" CACHE STRING "Parallel jobs inside each allocator build.")

foreach(choice IN ITEMS "ALLOC_DEBIAN_SOURCES;AUTO|ON|OFF;AUTO, ON or OFF" "ALLOC_MISSING_SOURCE;FAIL|SKIP;FAIL or SKIP")
  list(GET choice 0 name)
  list(GET choice 1 pattern)
  list(GET choice 2 expected)
  string(TOUPPER "${${name}}" upper)
  if(NOT upper MATCHES "^(${pattern})$")
    message(FATAL_ERROR "${name}='${${name}}': expected ${expected}")
  endif()
  set(${name} "${upper}")
endforeach()
if(NOT IS_ABSOLUTE "${ALLOC_LIBDIR}")
  message(FATAL_ERROR "ALLOC_LIBDIR='${ALLOC_LIBDIR}': expected an absolute path such as /usr/local/lib/mimalloc")
endif()
if(NOT ALLOC_JOBS MATCHES "^[1-9][0-9]*$")
  message(FATAL_ERROR "ALLOC_JOBS='${ALLOC_JOBS}': expected a positive whole number")
endif()
