# Script mode: package the built, smoke-tested libraries as Debian packages.
#
#   cmake -DDATA=<build>/packaging/packages.cmake -DOUTPUT_DIR=<dir> -DWORK_DIR=<dir>
#         [-DREVISION=<debian revision>] [-DIDS=<key;...>] -P packaging/build-debs.cmake
# (-DIDS packages only those; "allocpipe-host" in it selects the tool package.)
#
# A key is an id (the build host's architecture, as before) or <id>_<arch> for
# a foreign architecture (docs: the arm64 contract; library in libs/<arch>/,
# status in status/<arch>/, smoke stamp smoke/<arch>/<id>.passed); likewise
# allocpipe-host and allocpipe-host_<arch>. Both architectures of an id make the
# same package name, as Debian does.
#
# DATA is written by cmake/Packaging.cmake at configure time. For every key:
#   - its status says "NOT BUILT:"  -> not packaged, listed as skipped;
#   - a smoke stamp is declared for it but missing or older than the library
#     -> error: a library that did not pass its smoke test (on its own
#     architecture) is never packaged;
#   - an ELF file of another machine than the package's architecture, or a
#     manifest naming another architecture -> error;
#   - otherwise one CPack DEB run makes <id>_<version>-<rev>_<arch>.deb (library
#     stripped, Depends from dpkg-shlibdeps) and <id>-dbgsym_..._<arch>.deb
#     (detached debug info under /usr/lib/debug/.build-id/), with that
#     architecture's binutils.
# plus allocpipe-host_<version>-<rev>_<arch>.deb (+ -dbgsym) for every
# architecture the tree builds it for (packaging/host/package.cmake).
# OUTPUT_DIR then holds exactly those .deb files plus packages.txt:
#   "built <key> <deb> <dbgsym deb>" / "skipped <key> <reason>" /
#   "tool allocpipe-host[_<arch>] <deb> <dbgsym deb>" lines.
#
# Reproducible: every timestamp is SOURCE_DATE_EPOCH, the staging tree has
# normalised modes (umask 022) and no build path enters a package; CPack
# writes the archive members in sorted order, as root:root.
cmake_minimum_required(VERSION 3.25)

foreach(required DATA OUTPUT_DIR WORK_DIR)
  if(NOT DEFINED ${required} OR "${${required}}" STREQUAL "")
    message(FATAL_ERROR "build-debs.cmake: -D${required}=... is required")
  endif()
endforeach()
include("${DATA}")
include("${ALLOC_PKG_PROJECT_SOURCE_DIR}/cmake/ElfMachine.cmake")
get_filename_component(OUTPUT_DIR "${OUTPUT_DIR}" ABSOLUTE)
get_filename_component(WORK_DIR "${WORK_DIR}" ABSOLUTE)
set(templates "${ALLOC_PKG_PACKAGING_DIR}/debian")

if(NOT DEFINED REVISION OR REVISION STREQUAL "")
  set(REVISION "${ALLOC_PKG_REVISION}")
endif()
if(NOT REVISION MATCHES "^[A-Za-z0-9.+~]+$")
  message(FATAL_ERROR "build-debs: revision '${REVISION}' is not a Debian revision (letters, digits, '.', '+', '~')")
endif()
execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE native_arch OUTPUT_STRIP_TRAILING_WHITESPACE
                COMMAND_ERROR_IS_FATAL ANY)
# allocpipe-host (per architecture it is built for) is packaged with
# everything, or when -DIDS names it.
set(host_keys "")
if(NOT "${ALLOC_PKG_HOST_BINARY}" STREQUAL "")
  list(APPEND host_keys allocpipe-host)
endif()
foreach(host_arch IN LISTS ALLOC_PKG_HOST_ARCHS)
  list(APPEND host_keys "allocpipe-host_${host_arch}")
endforeach()
set(all_keys ${ALLOC_PKG_IDS} ${ALLOC_PKG_ARCH_IDS})
if(DEFINED IDS AND NOT IDS STREQUAL "")
  set(selected_hosts "")
  foreach(key IN LISTS IDS)
    if(key MATCHES "^allocpipe-host(_.*)?$")
      list(APPEND selected_hosts "${key}")
      list(REMOVE_ITEM IDS "${key}")
    endif()
  endforeach()
  set(host_keys "${selected_hosts}")
  foreach(key IN LISTS IDS)
    if(NOT key IN_LIST all_keys)
      message(FATAL_ERROR "build-debs: '${key}' is not a selected library id or <id>_<arch> (${all_keys})")
    endif()
  endforeach()
else()
  set(IDS "${all_keys}")
endif()

# --- SOURCE_DATE_EPOCH: configured value, else the environment, else the last
# commit of the source tree, else a fixed date (never "now").
set(epoch "${ALLOC_PKG_SOURCE_DATE_EPOCH}")
if(epoch STREQUAL "" AND DEFINED ENV{SOURCE_DATE_EPOCH})
  set(epoch "$ENV{SOURCE_DATE_EPOCH}")
endif()
if(epoch STREQUAL "")
  find_program(GIT_EXECUTABLE git)
  if(GIT_EXECUTABLE)
    execute_process(COMMAND "${GIT_EXECUTABLE}" -C "${ALLOC_PKG_PROJECT_SOURCE_DIR}" log -1 --format=%ct
                    OUTPUT_VARIABLE epoch ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      set(epoch "")
    endif()
  endif()
endif()
if(epoch STREQUAL "")
  set(epoch 1704067200)  # 2024-01-01T00:00:00Z
endif()
if(NOT epoch MATCHES "^[0-9]+$")
  message(FATAL_ERROR "build-debs: SOURCE_DATE_EPOCH '${epoch}' is not a number of seconds")
endif()
set(ENV{SOURCE_DATE_EPOCH} "${epoch}")
set(ENV{TZ} "UTC")
set(ENV{LC_ALL} "C.UTF-8")
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)

foreach(tool dpkg dpkg-shlibdeps objcopy readelf file gzip)
  find_program(tool_path NAMES ${tool} NO_CACHE)
  if(NOT tool_path)
    message(FATAL_ERROR "build-debs: '${tool}' is not installed (Debian packages: dpkg-dev, binutils, file, gzip)")
  endif()
  unset(tool_path)
endforeach()

# use_architecture(<arch>): sets, for the packages made next, arch, objcopy and
# readelf (that architecture's binutils: a foreign ELF file is split and
# stripped by its own <triplet>-objcopy) and the dpkg-shlibdeps environment.
function(use_architecture target_arch)
  if("${ALLOC_PKG_ARCH_${target_arch}_TRIPLET}" STREQUAL "" OR "${ALLOC_PKG_ARCH_${target_arch}_ELF_MACHINE}" STREQUAL "")
    message(FATAL_ERROR "build-debs: architecture '${target_arch}' is not one this tree was configured for (ALLOC_PKG_ARCHS: ${ALLOC_PKG_ARCHS}; cmake/Architectures.cmake)")
  endif()
  set(triplet "${ALLOC_PKG_ARCH_${target_arch}_TRIPLET}")
  if(target_arch STREQUAL native_arch)
    set(prefix "")
  else()
    set(prefix "${triplet}-")
  endif()
  foreach(tool objcopy readelf)
    find_program(path NAMES ${prefix}${tool} NO_CACHE)
    if(NOT path)
      message(FATAL_ERROR "build-debs: '${prefix}${tool}' is not installed: packages for ${target_arch} need that architecture's binutils (Debian package binutils-${triplet})")
    endif()
    set(${tool} "${path}" PARENT_SCOPE)
    unset(path)
  endforeach()
  set(arch "${target_arch}" PARENT_SCOPE)
  # dpkg-shlibdeps reads the host architecture from the environment and then
  # looks for the libraries in that architecture's multiarch directories
  # (libc6:arm64 from multiarch; scripts/setup-debian.sh installs it).
  set(ENV{DEB_HOST_ARCH} "${target_arch}")
  set(ENV{DEB_HOST_MULTIARCH} "${triplet}")
  set(ENV{DEB_HOST_GNU_TYPE} "${triplet}")
endfunction()

# check_elf_machine(<file> <what> [REQUIRED]): an ELF <file> must be a 64-bit
# little-endian object for the machine of ${arch} (cmake/ElfMachine.cmake, the
# check the builders make too); with REQUIRED it must be an ELF file at all.
# A package never holds a binary of another architecture.
function(check_elf_machine file what)
  file(READ "${file}" magic LIMIT 4 HEX)
  if(NOT magic STREQUAL "7f454c46" AND NOT "REQUIRED" IN_LIST ARGN)
    return()
  endif()
  set(machine "${ALLOC_PKG_ARCH_${arch}_ELF_MACHINE}")
  allocpipe_check_elf_machine("${file}" "${machine}" "${arch} (${ALLOC_PKG_ARCH_${arch}_ELF_NAME}, machine ${machine})" error)
  if(error)
    message(FATAL_ERROR "build-debs: ${what}: ${error}: a package for ${arch} holds no binary of another machine. Was it built with the wrong compiler?")
  endif()
endfunction()

function(check_tree_machines tree what)
  file(GLOB_RECURSE files LIST_DIRECTORIES false "${tree}/*")
  foreach(file IN LISTS files)
    if(NOT IS_SYMLINK "${file}")
      check_elf_machine("${file}" "${what}")
    endif()
  endforeach()
endfunction()

# <text> re-wrapped at 74 columns, each line "\n"-terminated (a ';' in the
# text survives: it is swapped out while the words are a CMake list).
function(wrap_text out text)
  string(ASCII 1 semicolon)
  string(REPLACE ";" "${semicolon}" text "${text}")
  string(REGEX REPLACE "[ \t\n]+" ";" words "${text}")
  set(lines "")
  set(line "")
  foreach(word IN LISTS words)
    if(word STREQUAL "")
      continue()
    endif()
    string(LENGTH "${line} ${word}" len)
    if(NOT line STREQUAL "" AND len GREATER 74)
      string(APPEND lines "${line}\n")
      set(line "${word}")
    elseif(line STREQUAL "")
      set(line "${word}")
    else()
      string(APPEND line " ${word}")
    endif()
  endforeach()
  if(NOT line STREQUAL "")
    string(APPEND lines "${line}\n")
  endif()
  string(REPLACE "${semicolon}" ";" lines "${lines}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

function(render template out)
  file(READ "${template}" text)
  string(CONFIGURE "${text}" text @ONLY)
  file(WRITE "${out}" "${text}")
endfunction()

function(copy_normalised from to)
  get_filename_component(dir "${to}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  file(COPY_FILE "${from}" "${to}")
  file(CHMOD "${to}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endfunction()

# CPack 3.25 writes the -dbgsym package's md5sums with the absolute staging
# path (so dpkg --verify cannot check it, lintian reports an error, and the
# bytes depend on the build directory) and gives it no /usr/share/doc entry.
# Repack it with dpkg-deb like debhelper's dbgsym packages: md5sums relative,
# /usr/share/doc/<pkg>-dbgsym -> <pkg> (copyright and changelog of the package
# it depends on), .debug files 0644. Named *.deb as Debian does (CPack's
# .ddeb suffix is Ubuntu's; the format is the same).
function(fix_dbgsym ddeb deb tree package)
  file(REMOVE_RECURSE "${tree}")
  execute_process(COMMAND dpkg-deb -R "${ddeb}" "${tree}" COMMAND_ERROR_IS_FATAL ANY)
  file(GLOB_RECURSE debug_files LIST_DIRECTORIES false RELATIVE "${tree}" "${tree}/usr/*")
  list(SORT debug_files)
  set(md5sums "")
  foreach(file IN LISTS debug_files)
    file(CHMOD "${tree}/${file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
    file(MD5 "${tree}/${file}" md5)
    string(APPEND md5sums "${md5}  ${file}\n")
  endforeach()
  check_tree_machines("${tree}/usr" "${package}-dbgsym (${arch})")
  file(WRITE "${tree}/DEBIAN/md5sums" "${md5sums}")
  file(CHMOD "${tree}/DEBIAN/md5sums" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  file(MAKE_DIRECTORY "${tree}/usr/share/doc")
  file(CREATE_LINK "${package}" "${tree}/usr/share/doc/${package}-dbgsym" SYMBOLIC)
  execute_process(COMMAND sh -c "umask 022 && find \"$1\" -type d -exec chmod 0755 {} + && exec dpkg-deb --root-owner-group -Zxz -z9 --build \"$1\" \"$2\""
                          fix_dbgsym "${tree}" "${deb}"
                  OUTPUT_QUIET COMMAND_ERROR_IS_FATAL ANY)
  file(REMOVE_RECURSE "${tree}")
  file(REMOVE "${ddeb}")
endfunction()

# A failed run leaves no packages behind that could be taken for this build's.
file(GLOB old "${OUTPUT_DIR}/*.deb" "${OUTPUT_DIR}/packages.txt")
if(old)
  file(REMOVE ${old})
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/out")
set(index "")
set(built_count 0)
set(made_keys "")

foreach(key IN LISTS IDS)
  # <id> (this host's architecture, the layout as before) or <id>_<arch>.
  if(key MATCHES "^([^_]+)_([^_]+)$")
    set(id "${CMAKE_MATCH_1}")
    use_architecture("${CMAKE_MATCH_2}")
    set(arch_dir "/${arch}")
  else()
    set(id "${key}")
    use_architecture("${native_arch}")
    set(arch_dir "")
  endif()
  set(status_file "${ALLOC_PKG_STATUS_DIR}${arch_dir}/${id}.status")
  set(library "${ALLOC_PKG_LIBS_DIR}${arch_dir}/${ALLOC_PKG_${id}_LIBRARY}")
  set(manifest "${ALLOC_PKG_LIBS_DIR}${arch_dir}/${ALLOC_PKG_${id}_MANIFEST}")
  set(id_work "${ALLOC_PKG_BINARY_DIR}/work${arch_dir}/${id}")
  set(pkg_work "${WORK_DIR}/${key}")
  if(NOT EXISTS "${status_file}")
    message(FATAL_ERROR "build-debs: ${key}: no build status ${status_file}; build the library first (cmake --build <dir> --target ${key})")
  endif()
  file(READ "${status_file}" status)
  string(REGEX REPLACE "\n.*" "" status "${status}")  # first line
  if(status MATCHES "^NOT BUILT: ")
    string(REGEX REPLACE "^NOT BUILT: [^:]*: *" "" reason "${status}")
    message(STATUS "build-debs: ${key}: NOT BUILT, not packaged: ${reason}")
    string(APPEND index "skipped ${key} ${reason}\n")
    continue()
  endif()
  if(NOT status MATCHES "^BUILT: " OR NOT EXISTS "${library}" OR NOT EXISTS "${manifest}")
    message(FATAL_ERROR "build-debs: ${key}: status '${status}' but ${library} or its manifest is missing; rebuild it")
  endif()
  # The smoke gate, when there is one: this key's stamp (<id>.passed, in
  # smoke/<arch>/ for a foreign architecture) must exist and be newer than
  # the library. A gate without a stamp for this key is an error too, so a
  # renamed stamp can never let a library through unchecked, and a stamp of
  # one architecture never passes the other's library.
  if(NOT ALLOC_PKG_SMOKE_STAMPS STREQUAL "")
    set(stamp "")
    foreach(declared IN LISTS ALLOC_PKG_SMOKE_STAMPS)
      get_filename_component(name "${declared}" NAME)
      get_filename_component(parent "${declared}" DIRECTORY)
      get_filename_component(parent "${parent}" NAME)
      if(name STREQUAL "${id}.passed"
         AND ((arch_dir STREQUAL "" AND NOT parent IN_LIST ALLOC_PKG_ARCHS) OR parent STREQUAL arch))
        set(stamp "${declared}")
      endif()
    endforeach()
    if(stamp STREQUAL "")
      message(FATAL_ERROR "build-debs: ${key}: the smoke gate declares no stamp for it (${ALLOC_PKG_SMOKE_STAMPS}); "
                          "a library that has not passed its smoke test is never packaged")
    endif()
    if(NOT EXISTS "${stamp}" OR NOT "${stamp}" IS_NEWER_THAN "${library}")
      message(FATAL_ERROR "build-debs: ${key}: the smoke gate has not passed for ${library} (${stamp} missing or older); "
                          "a library that fails its smoke test is never packaged. Run: cmake --build <dir> --target smoke")
    endif()
  endif()
  check_elf_machine("${library}" "${key}" REQUIRED)

  set(allocator "${ALLOC_PKG_${id}_ALLOCATOR}")
  set(version "${ALLOC_PKG_${id}_VERSION}")
  set(variant "${ALLOC_PKG_${id}_VARIANT}")
  set(deb_version "${version}-${REVISION}")
  file(READ "${manifest}" manifest_json)
  string(JSON manifest_id GET "${manifest_json}" id)
  string(JSON source_file GET "${manifest_json}" source_file)
  string(JSON source_sha256 GET "${manifest_json}" source_sha256)
  if(NOT manifest_id STREQUAL id OR NOT source_sha256 MATCHES "^[0-9a-f]+$")
    message(FATAL_ERROR "build-debs: ${key}: manifest ${manifest} does not describe this id")
  endif()
  # The manifest inside the package records the package's architecture (a
  # build host's own manifest may predate the field; a foreign one must have it).
  string(JSON manifest_arch ERROR_VARIABLE no_arch GET "${manifest_json}" architecture)
  if((no_arch AND NOT arch_dir STREQUAL "") OR (NOT no_arch AND NOT manifest_arch STREQUAL arch))
    message(FATAL_ERROR "build-debs: ${key}: manifest ${manifest} records architecture '${manifest_arch}', expected '${arch}'")
  endif()

  # --- staging tree: exactly what the package installs
  set(root "${pkg_work}/root")
  set(doc "${root}/usr/share/doc/${id}")
  copy_normalised("${library}" "${root}${ALLOC_PKG_LIBDIR}/${ALLOC_PKG_${id}_LIBRARY}")
  copy_normalised("${manifest}" "${root}${ALLOC_PKG_LIBDIR}/${ALLOC_PKG_${id}_MANIFEST}")
  # copyright: the upstream license file(s), verbatim, checked against the recipe's pins.
  set(copyright "")
  foreach(pin IN LISTS ALLOC_PKG_${id}_LICENSE_PINS)
    string(REGEX MATCH "^(.*)=([0-9a-f]+)$" _ "${pin}")
    set(license_file "${id_work}/src/${CMAKE_MATCH_1}")
    set(expected "${CMAKE_MATCH_2}")
    if(NOT EXISTS "${license_file}")
      message(FATAL_ERROR "build-debs: ${id}: license file ${license_file} is missing")
    endif()
    file(SHA256 "${license_file}" actual)
    if(NOT actual STREQUAL expected)
      message(FATAL_ERROR "build-debs: ${id}: ${license_file} has SHA-256 ${actual}, the recipe pins ${expected}")
    endif()
    file(READ "${license_file}" text)
    string(APPEND copyright "${text}")
  endforeach()
  file(MAKE_DIRECTORY "${doc}")
  file(WRITE "${doc}/copyright" "${copyright}")

  set(PACKAGE "${id}")
  set(DEB_VERSION "${deb_version}")
  set(ALLOCATOR "${allocator}")
  set(VERSION "${version}")
  set(VARIANT "${variant}")
  set(LIBDIR "${ALLOC_PKG_LIBDIR}")
  set(LIBRARY "${ALLOC_PKG_${id}_LIBRARY}")
  set(MANIFEST "${ALLOC_PKG_${id}_MANIFEST}")
  set(SOURCE_FILE "${source_file}")
  set(SOURCE_SHA256 "${source_sha256}")
  set(MAINTAINER "${ALLOC_PKG_MAINTAINER}")
  set(DATE "${changelog_date}")
  set(ARCH "${arch}")
  set(ELF_NAME "${ALLOC_PKG_ARCH_${arch}_ELF_NAME}")
  set(variant_file "${ALLOC_PKG_${id}_VARIANT_FILE}")
  if(NOT EXISTS "${variant_file}")
    message(FATAL_ERROR "build-debs: ${id}: no text ${variant_file} saying what the ${variant} variant of ${allocator} is")
  endif()
  file(READ "${variant_file}" variant_text)
  string(STRIP "${variant_text}" variant_text)
  wrap_text(VARIANT_TEXT "${variant_text}")
  string(LENGTH "${PACKAGE} ${DEB_VERSION}" title_len)
  string(REPEAT "=" ${title_len} RULE)
  render("${templates}/README.in" "${doc}/README")
  render("${templates}/changelog.in" "${pkg_work}/changelog.Debian")
  execute_process(COMMAND gzip -9 -n -c "${pkg_work}/changelog.Debian"
                  OUTPUT_FILE "${doc}/changelog.Debian.gz" COMMAND_ERROR_IS_FATAL ANY)
  render("${templates}/lintian-overrides.in" "${root}/usr/share/lintian/overrides/${id}")
  file(GLOB_RECURSE staged LIST_DIRECTORIES false "${root}/*")
  foreach(file IN LISTS staged)
    file(CHMOD "${file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endforeach()
  file(GLOB_RECURSE staged_dirs LIST_DIRECTORIES true "${root}/*")
  foreach(dir IN LISTS staged_dirs)
    if(IS_DIRECTORY "${dir}")
      file(CHMOD "${dir}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    endif()
  endforeach()

  # --- control fields
  if(variant STREQUAL "secure")
    set(variant_words "secure variant")
  else()
    set(variant_words "normal variant")
  endif()
  set(summary "${allocator} ${version} memory allocator, ${variant_words}, for LD_PRELOAD")
  # CPack indents the lines and turns the empty ones into " ." paragraph breaks.
  wrap_text(intro "${ALLOC_PKG_${id}_DESCRIPTION}. This is ${allocator} ${version}, ${variant_words}, built by allocpipe as ${LIBDIR}/${LIBRARY} for preloading into long-running daemons (LD_PRELOAD in a systemd drop-in; see /usr/share/doc/${id}/README). Installing it changes no running program.")
  wrap_text(variant_para "${variant_text}")
  wrap_text(source_para "Built from ${source_file}, SHA-256 ${source_sha256}.")
  set(description "${summary}\n${intro}\n${variant_para}\n${source_para}")
  string(REGEX REPLACE "\n$" "" description "${description}")

  check_tree_machines("${root}" "${key}")

  set(out "${pkg_work}/out")
  set(cfg "${pkg_work}/CPackConfig.cmake")
  set(cpack "")
  foreach(pair
      "CPACK_GENERATOR;DEB" "CPACK_PACKAGE_NAME;${id}" "CPACK_PACKAGE_VERSION;${version}"
      "CPACK_PACKAGE_FILE_NAME;${id}" "CPACK_PACKAGE_DIRECTORY;${out}" "CPACK_PACKAGE_CONTACT;${ALLOC_PKG_MAINTAINER}"
      "CPACK_INSTALLED_DIRECTORIES;${root};/" "CPACK_SET_DESTDIR;ON" "CPACK_PACKAGING_INSTALL_PREFIX;/"
      "CPACK_INCLUDE_TOPLEVEL_DIRECTORY;OFF" "CPACK_STRIP_FILES;OFF" "CPACK_THREADS;1"
      "CPACK_DEBIAN_PACKAGE_NAME;${id}" "CPACK_DEBIAN_PACKAGE_VERSION;${version}"
      "CPACK_DEBIAN_PACKAGE_RELEASE;${REVISION}" "CPACK_DEBIAN_PACKAGE_ARCHITECTURE;${arch}"
      "CPACK_DEBIAN_PACKAGE_MAINTAINER;${ALLOC_PKG_MAINTAINER}" "CPACK_DEBIAN_PACKAGE_SECTION;libs"
      "CPACK_DEBIAN_PACKAGE_PRIORITY;optional" "CPACK_DEBIAN_PACKAGE_HOMEPAGE;${ALLOC_PKG_${id}_HOMEPAGE}"
      "CPACK_PACKAGE_DESCRIPTION;${description}" "CPACK_DEBIAN_PACKAGE_DESCRIPTION;${description}"
      "CPACK_DEBIAN_PACKAGE_SHLIBDEPS;ON"
      "CPACK_DEBIAN_DEBUGINFO_PACKAGE;ON" "CPACK_DEBIAN_FILE_NAME;DEB-DEFAULT"
      "CPACK_DEBIAN_COMPRESSION_TYPE;xz" "CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION;ON"
      "CPACK_OBJCOPY_EXECUTABLE;${objcopy}" "CPACK_READELF_EXECUTABLE;${readelf}")
    list(GET pair 0 name)
    list(SUBLIST pair 1 -1 value)
    string(APPEND cpack "set(${name} [==[${value}]==])\n")
  endforeach()
  file(WRITE "${cfg}" "${cpack}")

  message(STATUS "build-debs: ${key}: packaging ${id} ${deb_version} (${arch})")
  execute_process(
    COMMAND sh -c "umask 022 && exec \"$@\"" build-debs "${ALLOC_PKG_CPACK_COMMAND}" --config "${cfg}"
    WORKING_DIRECTORY "${pkg_work}"
    OUTPUT_FILE "${pkg_work}/cpack.log" ERROR_FILE "${pkg_work}/cpack.log"
    RESULT_VARIABLE rc)
  set(deb "${id}_${deb_version}_${arch}.deb")
  set(dbgsym "${id}-dbgsym_${deb_version}_${arch}.deb")
  if(NOT rc EQUAL 0 OR NOT EXISTS "${out}/${deb}" OR NOT EXISTS "${out}/${id}-dbgsym_${deb_version}_${arch}.ddeb")
    file(READ "${pkg_work}/cpack.log" log)
    message(FATAL_ERROR "build-debs: ${key}: cpack failed (${rc}) or made no ${deb} + -dbgsym; its log:\n${log}")
  endif()
  fix_dbgsym("${out}/${id}-dbgsym_${deb_version}_${arch}.ddeb" "${out}/${dbgsym}" "${pkg_work}/dbgsym" ${id})
  string(APPEND index "built ${key} ${deb} ${dbgsym}\n")
  list(APPEND made_keys "${key}")
  math(EXPR built_count "${built_count} + 1")
endforeach()

# The allocpipe-host package, per architecture this tree builds it for:
# "tool" line in packages.txt.
foreach(host_key IN LISTS host_keys)
  if(host_key MATCHES "^allocpipe-host_(.+)$")
    use_architecture("${CMAKE_MATCH_1}")
    set(host_binary "${ALLOC_PKG_HOST_BINARY_${arch}}")
  else()
    use_architecture("${native_arch}")
    set(host_binary "${ALLOC_PKG_HOST_BINARY}")
  endif()
  include("${ALLOC_PKG_PACKAGING_DIR}/host/package.cmake")
endforeach()

# Publish: OUTPUT_DIR holds exactly this run's packages.
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
foreach(key IN LISTS made_keys)
  file(GLOB made "${WORK_DIR}/${key}/out/*.deb")
  foreach(file IN LISTS made)
    get_filename_component(name "${file}" NAME)
    file(RENAME "${file}" "${OUTPUT_DIR}/${name}")
  endforeach()
endforeach()
file(WRITE "${OUTPUT_DIR}/packages.txt" "${index}")
message(STATUS "build-debs: ${built_count} package(s) (+ -dbgsym) in ${OUTPUT_DIR}; SOURCE_DATE_EPOCH=${epoch}")
