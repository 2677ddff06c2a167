# Debian packages (one per library id, plus its -dbgsym) and a signed APT
# repository for the fleet. Hooks called by the top-level CMakeLists.txt:
#
#   allocpipe_package_library(<id> [ARCH <arch>])   for every selected id, and
#                                     per foreign architecture of ALLOC_ARCHS
#                                     (library libs/<arch>/, target <id>_<arch>,
#                                     smoke stamp smoke/<arch>/<id>.passed)
#   allocpipe_finish_packaging()      once, after the smoke gate's finish
#
# Both architectures of an id make the same package name, as Debian does
# (<id>_<version>_amd64.deb, <id>_<version>_arm64.deb). They install the same
# path (ALLOC_LIBDIR is not architecture-qualified: it is what the fleet's
# drop-ins name), so they are not Multi-Arch: same and no Multi-Arch field is
# set: a host installs the one of its own architecture (packaging/README.md).
#
# Targets:
#   deb    packages every library that was built AND passed its smoke test into
#          ALLOC_DEB_OUTPUT_DIR (CPack DEB generator, one run per id; see
#          packaging/build-debs.cmake). A library whose source was skipped
#          (ALLOC_MISSING_SOURCE=SKIP) is not packaged and listed as skipped.
#   repo   publishes ALLOC_DEB_OUTPUT_DIR into the APT repository ALLOC_REPO_DIR
#          with apt-ftparchive, signed with ALLOC_REPO_KEY (packaging/publish-repo.sh).
#
# Everything variable is in the generated data file packaging/packages.cmake;
# the logic lives in packaging/ and is shared by the targets and the tests.
include_guard(GLOBAL)

set(ALLOC_DEB_REVISION "1" CACHE STRING
  "Debian revision of the packages: Version is <upstream>-<ALLOC_DEB_REVISION>. Bump it to republish changed bits.")
set(ALLOC_DEB_MAINTAINER "allocpipe operators <allocpipe@example.invalid>" CACHE STRING
  "Maintainer field of the packages ('Name <address>').")
set(ALLOC_DEB_OUTPUT_DIR "${CMAKE_BINARY_DIR}/deb" CACHE PATH
  "Where 'cmake --build . --target deb' writes the .deb files (the *.deb there are replaced).")
set(ALLOC_DEB_SOURCE_DATE_EPOCH "" CACHE STRING
  "Timestamp of every file in the packages (seconds since 1970). Empty: \$SOURCE_DATE_EPOCH, else the last git commit of the source tree, else a fixed date.")

if(EXISTS /etc/os-release)
  file(STRINGS /etc/os-release _alloc_codename REGEX "^VERSION_CODENAME=")
  string(REGEX REPLACE "^VERSION_CODENAME=\"?([^\"]*)\"?$" "\\1" _alloc_codename "${_alloc_codename}")
endif()
if(NOT _alloc_codename)
  set(_alloc_codename "stable")
endif()
set(ALLOC_REPO_DIR "${CMAKE_BINARY_DIR}/repo" CACHE PATH
  "The APT repository 'cmake --build . --target repo' publishes into (kept between runs: older revisions stay available).")
set(ALLOC_REPO_KEY "" CACHE STRING
  "Fingerprint of the OpenPGP key that signs the repository (its secret key must be in the signer's GnuPG home).")
set(ALLOC_REPO_GNUPGHOME "" CACHE PATH
  "GnuPG home holding ALLOC_REPO_KEY; empty: \$GNUPGHOME or ~/.gnupg.")
set(ALLOC_REPO_SUITE "${_alloc_codename}" CACHE STRING
  "Suite of the repository (dists/<suite>, the 'Suites:' hosts put in their sources). Default: this build host's codename.")
set(ALLOC_REPO_CODENAME "" CACHE STRING "Codename field of the repository's Release file; empty: ALLOC_REPO_SUITE.")
set(ALLOC_REPO_COMPONENT "main" CACHE STRING "Component of the repository.")
set(ALLOC_REPO_ORIGIN "allocpipe" CACHE STRING "Origin and Label fields of the repository's Release file.")

if(NOT ALLOC_DEB_REVISION MATCHES "^[A-Za-z0-9.+~]+$")
  message(FATAL_ERROR "ALLOC_DEB_REVISION='${ALLOC_DEB_REVISION}': expected a Debian revision such as 1 or 2 (letters, digits, '.', '+', '~')")
endif()
if(NOT ALLOC_DEB_MAINTAINER MATCHES "^[^<>]+ <[^<>@ ]+@[^<>@ ]+>$")
  message(FATAL_ERROR "ALLOC_DEB_MAINTAINER='${ALLOC_DEB_MAINTAINER}': expected 'Full Name <address@domain>'")
endif()
if(NOT ALLOC_DEB_SOURCE_DATE_EPOCH MATCHES "^([0-9]+)?$")
  message(FATAL_ERROR "ALLOC_DEB_SOURCE_DATE_EPOCH='${ALLOC_DEB_SOURCE_DATE_EPOCH}': expected seconds since 1970 or empty")
endif()
foreach(_alloc_var ALLOC_REPO_SUITE ALLOC_REPO_COMPONENT ALLOC_REPO_ORIGIN ALLOC_REPO_CODENAME)
  if(NOT ${_alloc_var} MATCHES "^[A-Za-z0-9][A-Za-z0-9._-]*$" AND NOT (_alloc_var STREQUAL "ALLOC_REPO_CODENAME" AND ALLOC_REPO_CODENAME STREQUAL ""))
    message(FATAL_ERROR "${_alloc_var}='${${_alloc_var}}': expected letters, digits, '.', '_' or '-'")
  endif()
endforeach()

set(ALLOC_PACKAGING_DIR "${PROJECT_SOURCE_DIR}/packaging")
set(ALLOC_PACKAGING_DATA "${CMAKE_BINARY_DIR}/packaging/packages.cmake")

# Package names are the ids. Debian's own allocator packages are lib<name><soversion>
# (libmimalloc2.0, libmimalloc3, libjemalloc2); an id never starts with "lib".
function(allocpipe_package_library id)
  cmake_parse_arguments(PARSE_ARGV 1 P "" "ARCH" "")
  if(NOT id MATCHES "^[a-z0-9][a-z0-9.+-]+$" OR id MATCHES "^lib")
    message(FATAL_ERROR "allocpipe_package_library(${id}): '${id}' is not usable as a Debian package name "
                        "(lowercase letters, digits, '.', '+', '-'; not starting with 'lib', Debian's namespace)")
  endif()
  if(P_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "allocpipe_package_library(${id}): unexpected arguments '${P_UNPARSED_ARGUMENTS}' (expected: <id> [ARCH <arch>])")
  endif()
  if(NOT DEFINED P_ARCH OR P_ARCH STREQUAL ALLOC_HOST_ARCH)
    set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_PACKAGE_IDS "${id}")
    return()
  endif()
  if(NOT P_ARCH IN_LIST ALLOC_ARCHS)
    message(FATAL_ERROR "allocpipe_package_library(${id} ARCH ${P_ARCH}): '${P_ARCH}' is not one of ALLOC_ARCHS (${ALLOC_ARCHS})")
  endif()
  set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_PACKAGE_ARCH_IDS "${id}_${P_ARCH}")
endfunction()

function(_alloc_pkg_line out name value)
  set(${out} "${${out}}set(${name} [==[${value}]==])\n" PARENT_SCOPE)
endfunction()

function(allocpipe_finish_packaging)
  if(TARGET deb)
    message(FATAL_ERROR "allocpipe_finish_packaging() called twice (or another 'deb' target exists)")
  endif()
  get_property(ids GLOBAL PROPERTY ALLOCPIPE_PACKAGE_IDS)
  get_property(arch_ids GLOBAL PROPERTY ALLOCPIPE_PACKAGE_ARCH_IDS)
  # Every smoke stamp, the build host's (smoke/<id>.passed) and the foreign
  # architectures' (smoke/<arch>/<id>.passed): build-debs.cmake matches each
  # package to the stamp of its own architecture.
  get_property(stamps GLOBAL PROPERTY ALLOCPIPE_SMOKE_STAMPS)
  get_property(arch_stamps GLOBAL PROPERTY ALLOCPIPE_ARCH_SMOKE_STAMPS)
  list(APPEND stamps ${arch_stamps})

  # allocpipe-host (src/host) is packaged too when this tree builds it, and
  # for every foreign architecture whose tools sub-build (allocpipe-tools-<arch>,
  # binary dir tools/<arch>) builds it too.
  set(host_binary "")
  set(host_archs "")
  if(TARGET allocpipe-host)
    set(host_binary "${CMAKE_BINARY_DIR}/src/host/allocpipe-host")
    foreach(arch IN LISTS ALLOC_FOREIGN_ARCHS)
      if(TARGET allocpipe-tools-${arch} AND NOT "${ALLOC_TOOLS_${arch}_HOST}" STREQUAL "")
        list(APPEND host_archs ${arch})
      endif()
    endforeach()
  endif()
  set(data "# Generated by cmake/Packaging.cmake: what packaging/build-debs.cmake packages.\n")
  foreach(pair
      "PROJECT_SOURCE_DIR;${PROJECT_SOURCE_DIR}" "BINARY_DIR;${CMAKE_BINARY_DIR}"
      "PACKAGING_DIR;${ALLOC_PACKAGING_DIR}" "LIBS_DIR;${ALLOC_LIBS_DIR}" "STATUS_DIR;${ALLOC_STATUS_DIR}"
      "LIBDIR;${ALLOC_LIBDIR}" "IDS;${ids}" "ARCH_IDS;${arch_ids}" "SMOKE_STAMPS;${stamps}"
      "REVISION;${ALLOC_DEB_REVISION}" "MAINTAINER;${ALLOC_DEB_MAINTAINER}"
      "SOURCE_DATE_EPOCH;${ALLOC_DEB_SOURCE_DATE_EPOCH}" "CMAKE_COMMAND;${CMAKE_COMMAND}"
      "CPACK_COMMAND;${CMAKE_CPACK_COMMAND}"
      "HOST_BINARY;${host_binary}" "HOST_ARCHS;${host_archs}"
      "HOST_VERSION;${PROJECT_VERSION}" "HOST_HOMEPAGE;${PROJECT_HOMEPAGE_URL}")
    list(GET pair 0 name)
    list(SUBLIST pair 1 -1 value)
    _alloc_pkg_line(data ALLOC_PKG_${name} "${value}")
  endforeach()
  foreach(arch IN LISTS host_archs)
    _alloc_pkg_line(data ALLOC_PKG_HOST_BINARY_${arch} "${ALLOC_TOOLS_${arch}_HOST}")
  endforeach()
  # What packaging needs of every architecture cmake/Architectures.cmake
  # knows (the packaging self-tests fake the ones not configured here):
  # binutils prefix / multiarch triplet, ELF machine.
  _alloc_pkg_line(data ALLOC_PKG_ARCHS "${_ALLOC_KNOWN_ARCHS}")
  foreach(arch IN LISTS _ALLOC_KNOWN_ARCHS)
    foreach(key TRIPLET ELF_MACHINE ELF_NAME)
      _alloc_pkg_line(data ALLOC_PKG_ARCH_${arch}_${key} "${ALLOC_ARCH_${arch}_${key}}")
    endforeach()
  endforeach()
  # Recipe data per id, for every architecture it is packaged for.
  set(data_ids ${ids})
  foreach(key IN LISTS arch_ids)
    string(REGEX REPLACE "_[^_]+$" "" id "${key}")
    list(APPEND data_ids "${id}")
  endforeach()
  list(REMOVE_DUPLICATES data_ids)
  foreach(id IN LISTS data_ids)
    set(recipe "${ALLOC_${id}_RECIPE}")
    foreach(key ALLOCATOR VERSION VARIANT LIBRARY MANIFEST RECIPE)
      _alloc_pkg_line(data ALLOC_PKG_${id}_${key} "${ALLOC_${id}_${key}}")
    endforeach()
    foreach(key DESCRIPTION HOMEPAGE LICENSE LICENSE_FILES)
      _alloc_pkg_line(data ALLOC_PKG_${id}_${key} "${ALLOC_${recipe}_${key}}")
    endforeach()
    # What the variant is: the family folder's text (checked by Recipes.cmake
    # at configure time).
    allocpipe_family_dir(${ALLOC_${id}_ALLOCATOR} family_dir)
    _alloc_pkg_line(data ALLOC_PKG_${id}_VARIANT_FILE "${family_dir}/package-${ALLOC_${id}_VARIANT}.txt")
    set(pins "")
    foreach(license IN LISTS ALLOC_${recipe}_LICENSE_FILES)
      list(APPEND pins "${license}=${ALLOC_${recipe}_HASH_${license}}")
    endforeach()
    _alloc_pkg_line(data ALLOC_PKG_${id}_LICENSE_PINS "${pins}")
  endforeach()
  set(old "")
  if(EXISTS "${ALLOC_PACKAGING_DATA}")
    file(READ "${ALLOC_PACKAGING_DATA}" old)
  endif()
  if(NOT old STREQUAL data)
    file(WRITE "${ALLOC_PACKAGING_DATA}" "${data}")
  endif()

  set(build_debs "${ALLOC_PACKAGING_DIR}/build-debs.cmake")
  add_custom_target(deb
    COMMAND "${CMAKE_COMMAND}" "-DDATA=${ALLOC_PACKAGING_DATA}" "-DOUTPUT_DIR=${ALLOC_DEB_OUTPUT_DIR}"
            "-DWORK_DIR=${CMAKE_BINARY_DIR}/packaging/work" -P "${build_debs}"
    COMMENT "Packaging the built, smoke-tested libraries into ${ALLOC_DEB_OUTPUT_DIR}"
    VERBATIM USES_TERMINAL)
  foreach(target IN LISTS ids arch_ids)
    add_dependencies(deb ${target})
  endforeach()
  if(TARGET allocpipe-host)
    add_dependencies(deb allocpipe-host)
  endif()
  foreach(arch IN LISTS host_archs)
    add_dependencies(deb allocpipe-tools-${arch})
  endforeach()
  # The smoke gate: nothing is packaged unless it passed. The targets order the
  # build; build-debs.cmake also refuses an id whose declared stamp is missing
  # or older than its library.
  if(TARGET smoke)
    add_dependencies(deb smoke)
  endif()
  get_property(smoke_targets GLOBAL PROPERTY ALLOCPIPE_SMOKE_TARGETS)
  foreach(target IN LISTS smoke_targets)
    if(TARGET ${target})
      add_dependencies(deb ${target})
    endif()
  endforeach()

  set(codename "${ALLOC_REPO_CODENAME}")
  if(codename STREQUAL "")
    set(codename "${ALLOC_REPO_SUITE}")
  endif()
  set(publish "${ALLOC_PACKAGING_DIR}/publish-repo.sh"
    --debs "${ALLOC_DEB_OUTPUT_DIR}" --repo "${ALLOC_REPO_DIR}" --suite "${ALLOC_REPO_SUITE}"
    --codename "${codename}" --component "${ALLOC_REPO_COMPONENT}" --origin "${ALLOC_REPO_ORIGIN}")
  # Without a key the script stops and says how to configure one.
  if(NOT ALLOC_REPO_KEY STREQUAL "")
    list(APPEND publish --key "${ALLOC_REPO_KEY}")
  endif()
  if(NOT ALLOC_REPO_GNUPGHOME STREQUAL "")
    list(APPEND publish --gnupghome "${ALLOC_REPO_GNUPGHOME}")
  endif()
  # One index per configured architecture (ALLOC_ARCHS), even before it has a package.
  if(DEFINED ALLOC_ARCHS AND NOT "${ALLOC_ARCHS}" STREQUAL "")
    string(REPLACE ";" " " archs "${ALLOC_ARCHS}")
    list(APPEND publish --architectures "${archs}")
  endif()
  add_custom_target(repo
    COMMAND bash ${publish}
    COMMENT "Publishing ${ALLOC_DEB_OUTPUT_DIR}/*.deb into the APT repository ${ALLOC_REPO_DIR} (suite ${ALLOC_REPO_SUITE})"
    VERBATIM USES_TERMINAL)
  add_dependencies(repo deb)
endfunction()
