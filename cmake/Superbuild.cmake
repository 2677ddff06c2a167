# One build rule per library id. Each rule runs cmake/BuildLibrary.cmake in
# script mode with a generated plan; its inputs are exactly the recipe, hash
# file, patches, the builder and the plan, so a change to one recipe or patch
# rebuilds only its ids and an unchanged tree builds nothing.

set(ALLOC_LIBS_DIR "${CMAKE_BINARY_DIR}/libs")
# The shared builder layer (Buildroot's pkg-cmake / pkg-autotools).
file(GLOB ALLOC_BUILDER_LAYERS "${PROJECT_SOURCE_DIR}/cmake/builders/*.cmake")
list(SORT ALLOC_BUILDER_LAYERS)
set(ALLOC_STATUS_DIR "${CMAKE_BINARY_DIR}/status")

if(ALLOC_FETCHER)
  set(_alloc_fetcher "${ALLOC_FETCHER}")
else()
  set(_alloc_fetcher "$<TARGET_FILE:allocpipe-fetch>")
endif()

function(_alloc_plan_line out name value)
  # Bracket arguments keep any character of the value literal.
  set(${out} "${${out}}set(${name} [==[${value}]==])\n" PARENT_SCOPE)
endfunction()

# allocpipe_add_library(<id> [ARCH <debian arch>]): the build rule of <id>
# for one architecture of ALLOC_ARCHS (default the build host's; names and
# paths from allocpipe_arch_paths() in cmake/Architectures.cmake). A foreign
# architecture builds with its cross compilers: the CMake layer passes the
# toolchain file, the autotools layer --host=<triplet>.
function(allocpipe_add_library id)
  cmake_parse_arguments(PARSE_ARGV 1 A "" "ARCH" "")
  if(NOT A_ARCH)
    set(A_ARCH "${ALLOC_HOST_ARCH}")
  endif()
  set(recipe "${ALLOC_${id}_RECIPE}")
  set(allocator "${ALLOC_${id}_ALLOCATOR}")
  allocpipe_arch_paths(${id} ${A_ARCH} P)
  set(work "${P_WORK_DIR}")
  set(library "${P_LIBRARY}")
  set(manifest "${P_MANIFEST}")
  set(status "${P_STATUS}")
  if(A_ARCH STREQUAL ALLOC_HOST_ARCH)
    set(c_compiler "${CMAKE_C_COMPILER}")
    set(cxx_compiler "${CMAKE_CXX_COMPILER}")
    set(compiler_id "${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")
    set(cross "")
  else()
    set(c_compiler "${ALLOC_ARCH_${A_ARCH}_C_COMPILER}")
    set(cxx_compiler "${ALLOC_ARCH_${A_ARCH}_CXX_COMPILER}")
    set(compiler_id "${ALLOC_ARCH_${A_ARCH}_COMPILER_ID}")
    set(cross "${ALLOC_ARCH_${A_ARCH}_TRIPLET}")
  endif()

  set(plan "")
  foreach(pair
      "ID;${id}" "NAME;${P_NAME}" "ALLOCATOR;${allocator}" "VERSION;${ALLOC_${id}_VERSION}" "VARIANT;${ALLOC_${id}_VARIANT}"
      "WORK_DIR;${work}" "LIBRARY;${library}" "MANIFEST;${manifest}" "STATUS;${status}"
      "FETCHER;${_alloc_fetcher}" "DOWNLOAD_DIR;${ALLOC_DOWNLOAD_DIR}" "MIRRORS;${ALLOC_MIRRORS}"
      "OFFLINE;${ALLOC_OFFLINE}" "DEBIAN_SOURCES;${ALLOC_DEBIAN_SOURCES}" "MISSING_SOURCE;${ALLOC_MISSING_SOURCE}"
      "SOURCE;${ALLOC_${recipe}_SOURCE}" "SOURCE_SHA256;${ALLOC_${recipe}_HASH_${ALLOC_${recipe}_SOURCE}}"
      "URL;${ALLOC_${recipe}_URL}" "LICENSE;${ALLOC_${recipe}_LICENSE}"
      "GENERATOR;${CMAKE_GENERATOR}" "MAKE_PROGRAM;${CMAKE_MAKE_PROGRAM}" "JOBS;${ALLOC_JOBS}"
      "C_COMPILER;${c_compiler}" "CXX_COMPILER;${cxx_compiler}" "COMPILER_ID;${compiler_id}"
      "ARCH;${A_ARCH}" "ELF_MACHINE;${ALLOC_ARCH_${A_ARCH}_ELF_MACHINE}" "ELF_NAME;${ALLOC_ARCH_${A_ARCH}_ELF_NAME}"
      "CROSS_HOST;${cross}" "BUILD_TRIPLET;${ALLOC_ARCH_${ALLOC_HOST_ARCH}_TRIPLET}" "TOOLCHAIN_FILE;${ALLOC_ARCH_${A_ARCH}_TOOLCHAIN_FILE}"
      "BUILDER;${ALLOC_FAMILY_${allocator}_DIR}/builder.cmake" "BUILDER_LAYERS;${ALLOC_BUILDER_LAYERS}"
      "ENVIRONMENT;${ALLOC_FAMILY_${allocator}_ENVIRONMENT}")
    list(GET pair 0 name)
    list(SUBLIST pair 1 -1 value)
    _alloc_plan_line(plan ${name} "${value}")
  endforeach()
  if(NOT ALLOC_${recipe}_DEBIAN_SOURCE STREQUAL "")
    _alloc_plan_line(plan DEBIAN_SOURCE "${ALLOC_${recipe}_DEBIAN_SOURCE}")
    _alloc_plan_line(plan DEBIAN_FILE "${ALLOC_${recipe}_DEBIAN_FILE}")
    _alloc_plan_line(plan DEBIAN_SHA256 "${ALLOC_${recipe}_HASH_${ALLOC_${recipe}_DEBIAN_FILE}}")
  endif()
  if(NOT ALLOC_${recipe}_UPSTREAM_COMMIT STREQUAL "")
    _alloc_plan_line(plan UPSTREAM_COMMIT "${ALLOC_${recipe}_UPSTREAM_COMMIT}")
  endif()
  set(pins "")
  foreach(license IN LISTS ALLOC_${recipe}_LICENSE_FILES)
    list(APPEND pins "${license}=${ALLOC_${recipe}_HASH_${license}}")
  endforeach()
  _alloc_plan_line(plan PINS "${pins}")
  set(patches "")
  foreach(patch IN LISTS ALLOC_${recipe}_PATCHES)
    get_filename_component(name "${patch}" NAME)
    list(APPEND patches "${patch}=${ALLOC_${recipe}_HASH_${name}}")
  endforeach()
  _alloc_plan_line(plan PATCHES "${patches}")

  if(cross)
    _alloc_plan_line(plan CROSS_COMPILER "${c_compiler}: ${ALLOC_ARCH_${A_ARCH}_COMPILER_VERSION_LINE}")
    # The target kernel's page size: a cross build cannot detect it.
    _alloc_plan_line(plan PAGE_SIZE "${ALLOC_PAGE_SIZE_${A_ARCH}}")
  endif()
  set(plan_file "${CMAKE_BINARY_DIR}/plans/${P_NAME}.cmake")
  file(GENERATE OUTPUT "${plan_file}" CONTENT "${plan}")

  # The status file is the one output, written last in both outcomes (BUILT,
  # or NOT BUILT with ALLOC_MISSING_SOURCE=SKIP). The library and manifest
  # are deliberately not declared as outputs: a skipped library never
  # exists, and Ninja would re-run a rule with a missing output on every
  # build (a network attempt and a screen of warnings each time). Rules that
  # consume a library depend on its status file instead. Retry a skipped
  # source with the `retry-missing` target, or when its recipe or hash
  # file changes.
  add_custom_command(
    OUTPUT "${status}"
    COMMAND "${CMAKE_COMMAND}" "-DPLAN=${plan_file}" -P "${PROJECT_SOURCE_DIR}/cmake/BuildLibrary.cmake"
    DEPENDS "${plan_file}" "${ALLOC_${recipe}_RECIPE_FILE}" "${ALLOC_${recipe}_HASH_FILE}" ${ALLOC_${recipe}_PATCHES}
            "${PROJECT_SOURCE_DIR}/cmake/BuildLibrary.cmake" "${PROJECT_SOURCE_DIR}/cmake/LogTail.cmake"
            "${PROJECT_SOURCE_DIR}/cmake/ElfMachine.cmake"
            "${ALLOC_FAMILY_${allocator}_DIR}/builder.cmake"
            ${ALLOC_BUILDER_LAYERS} ${ALLOC_ARCH_${A_ARCH}_TOOLCHAIN_FILE}
    COMMENT "Fetching, verifying and building ${P_NAME}"
    VERBATIM)
  add_custom_target(${P_TARGET} ALL DEPENDS "${status}")
  if(NOT ALLOC_FETCHER)
    add_dependencies(${P_TARGET} allocpipe-fetch)
  endif()
  if(NOT A_ARCH STREQUAL ALLOC_HOST_ARCH)
    # Installed and packaged per architecture by cmake/Packaging.cmake, not
    # into this host's ALLOC_LIBDIR.
    set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_ARCH_IDS "${P_NAME}")
    return()
  endif()

  # OPTIONAL: with ALLOC_MISSING_SOURCE=SKIP an unavailable library is absent
  # and its status file says why; everything else installs.
  install(FILES "${library}" DESTINATION "${ALLOC_LIBDIR}" COMPONENT ${id}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ OPTIONAL)
  install(FILES "${manifest}" DESTINATION "${ALLOC_LIBDIR}" COMPONENT ${id} OPTIONAL)
endfunction()

# `cmake --build <dir> --target retry-missing`: forget every NOT BUILT status
# so the next build tries those sources again (nothing else is touched).
function(allocpipe_add_retry_missing)
  add_custom_target(retry-missing
    COMMAND "${CMAKE_COMMAND}" "-DSTATUS_DIR=${ALLOC_STATUS_DIR}" -P "${PROJECT_SOURCE_DIR}/cmake/RetryMissing.cmake"
    COMMENT "Forgetting skipped sources; the next build tries them again"
    VERBATIM)
endfunction()
