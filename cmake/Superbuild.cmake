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

function(allocpipe_add_library id)
  set(recipe "${ALLOC_${id}_RECIPE}")
  set(allocator "${ALLOC_${id}_ALLOCATOR}")
  set(work "${CMAKE_BINARY_DIR}/work/${id}")
  set(library "${ALLOC_LIBS_DIR}/${ALLOC_${id}_LIBRARY}")
  set(manifest "${ALLOC_LIBS_DIR}/${ALLOC_${id}_MANIFEST}")
  set(status "${ALLOC_STATUS_DIR}/${id}.status")

  set(plan "")
  foreach(pair
      "ID;${id}" "ALLOCATOR;${allocator}" "VERSION;${ALLOC_${id}_VERSION}" "VARIANT;${ALLOC_${id}_VARIANT}"
      "WORK_DIR;${work}" "LIBRARY;${library}" "MANIFEST;${manifest}" "STATUS;${status}"
      "FETCHER;${_alloc_fetcher}" "DOWNLOAD_DIR;${ALLOC_DOWNLOAD_DIR}" "MIRRORS;${ALLOC_MIRRORS}"
      "OFFLINE;${ALLOC_OFFLINE}" "DEBIAN_SOURCES;${ALLOC_DEBIAN_SOURCES}" "MISSING_SOURCE;${ALLOC_MISSING_SOURCE}"
      "SOURCE;${ALLOC_${recipe}_SOURCE}" "SOURCE_SHA256;${ALLOC_${recipe}_HASH_${ALLOC_${recipe}_SOURCE}}"
      "URL;${ALLOC_${recipe}_URL}" "LICENSE;${ALLOC_${recipe}_LICENSE}"
      "GENERATOR;${CMAKE_GENERATOR}" "MAKE_PROGRAM;${CMAKE_MAKE_PROGRAM}" "JOBS;${ALLOC_JOBS}"
      "C_COMPILER;${CMAKE_C_COMPILER}" "CXX_COMPILER;${CMAKE_CXX_COMPILER}"
      "COMPILER_ID;${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}"
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

  set(plan_file "${CMAKE_BINARY_DIR}/plans/${id}.cmake")
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
            "${ALLOC_FAMILY_${allocator}_DIR}/builder.cmake"
            ${ALLOC_BUILDER_LAYERS}
    COMMENT "Fetching, verifying and building ${id}"
    VERBATIM)
  add_custom_target(${id} ALL DEPENDS "${status}")
  if(NOT ALLOC_FETCHER)
    add_dependencies(${id} allocpipe-fetch)
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
