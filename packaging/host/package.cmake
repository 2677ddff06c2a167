# Included by packaging/build-debs.cmake (after its helpers), once per
# architecture: the allocpipe-host package, /usr/bin/allocpipe-host + the
# metrics service and timer, stripped, with its -dbgsym, the same way as the
# library packages. Listed in packages.txt as "tool <host_key> <deb> <dbgsym>".
# Uses: host_key (allocpipe-host or allocpipe-host_<arch>), host_binary, arch
# and its objcopy/readelf (use_architecture), ALLOC_PKG_HOST_VERSION.
if(NOT EXISTS "${host_binary}")
  if(host_key STREQUAL "allocpipe-host")
    set(hint "cmake --build <dir> --target allocpipe-host")
  else()
    set(hint "cmake --build <dir> --target allocpipe-tools-${arch}")
  endif()
  message(FATAL_ERROR "build-debs: ${host_key}: '${host_binary}' is missing; build it first (${hint})")
endif()
check_elf_machine("${host_binary}" "${host_key}" REQUIRED)
set(host_dir "${ALLOC_PKG_PACKAGING_DIR}/host")
set(PACKAGE allocpipe-host)
set(VERSION "${ALLOC_PKG_HOST_VERSION}")
set(DEB_VERSION "${VERSION}-${REVISION}")
set(MAINTAINER "${ALLOC_PKG_MAINTAINER}")
set(DATE "${changelog_date}")
set(LIBDIR "${ALLOC_PKG_LIBDIR}")
string(LENGTH "${PACKAGE} ${DEB_VERSION}" title_len)
string(REPEAT "=" ${title_len} RULE)

set(pkg_work "${WORK_DIR}/${host_key}")
set(root "${pkg_work}/root")
set(doc "${root}/usr/share/doc/${PACKAGE}")
file(MAKE_DIRECTORY "${root}/usr/bin")
file(COPY_FILE "${host_binary}" "${root}/usr/bin/allocpipe-host")
file(CHMOD "${root}/usr/bin/allocpipe-host" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
     WORLD_READ WORLD_EXECUTE)
foreach(unit allocpipe-host-metrics.service allocpipe-host-metrics.timer)
  copy_normalised("${host_dir}/${unit}" "${root}/usr/lib/systemd/system/${unit}")
endforeach()
file(MAKE_DIRECTORY "${doc}")
render("${host_dir}/copyright.in" "${doc}/copyright")
render("${host_dir}/README.in" "${doc}/README")
render("${host_dir}/changelog.in" "${pkg_work}/changelog.Debian")
execute_process(COMMAND gzip -9 -n -c "${pkg_work}/changelog.Debian"
                OUTPUT_FILE "${doc}/changelog.Debian.gz" COMMAND_ERROR_IS_FATAL ANY)
copy_normalised("${host_dir}/lintian-overrides" "${root}/usr/share/lintian/overrides/${PACKAGE}")
file(MAKE_DIRECTORY "${root}/usr/share/man/man1")
execute_process(COMMAND gzip -9 -n -c "${host_dir}/allocpipe-host.1"
                OUTPUT_FILE "${root}/usr/share/man/man1/allocpipe-host.1.gz" COMMAND_ERROR_IS_FATAL ANY)
file(CHMOD "${root}/usr/share/man/man1/allocpipe-host.1.gz" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
foreach(file "${doc}/copyright" "${doc}/README" "${doc}/changelog.Debian.gz")
  file(CHMOD "${file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
file(GLOB_RECURSE staged_dirs LIST_DIRECTORIES true "${root}/*")
foreach(dir IN LISTS staged_dirs)
  if(IS_DIRECTORY "${dir}")
    file(CHMOD "${dir}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endif()
endforeach()

wrap_text(intro "allocpipe-host manages the memory allocator of the systemd services on the host it runs on, using allocpipe's library packages (installed in ${LIBDIR}). enable writes one LD_PRELOAD drop-in per unit, restarts the units in waves after a canary and checks that every new main process really maps the library, logged no loader error and stays up for a health window; a unit that fails is put back as it was. Every change is journalled first, so rollback works after a crash.")
wrap_text(status_para "status compares the library each unit is configured to preload with the one mapped in its main process and exits 1 on a difference; metrics writes the same as a Prometheus textfile for node_exporter (timer shipped, not enabled). It talks to systemd through its D-Bus API and checks AppArmor profiles before it restarts anything.")
set(description "roll allocpipe allocator libraries out to systemd services, verified\n${intro}\n${status_para}")
string(REGEX REPLACE "\n$" "" description "${description}")

check_tree_machines("${root}" "${host_key}")

set(out "${pkg_work}/out")
set(cfg "${pkg_work}/CPackConfig.cmake")
set(cpack "")
foreach(pair
    "CPACK_GENERATOR;DEB" "CPACK_PACKAGE_NAME;${PACKAGE}" "CPACK_PACKAGE_VERSION;${VERSION}"
    "CPACK_PACKAGE_FILE_NAME;${PACKAGE}" "CPACK_PACKAGE_DIRECTORY;${out}" "CPACK_PACKAGE_CONTACT;${MAINTAINER}"
    "CPACK_INSTALLED_DIRECTORIES;${root};/" "CPACK_SET_DESTDIR;ON" "CPACK_PACKAGING_INSTALL_PREFIX;/"
    "CPACK_INCLUDE_TOPLEVEL_DIRECTORY;OFF" "CPACK_STRIP_FILES;OFF" "CPACK_THREADS;1"
    "CPACK_DEBIAN_PACKAGE_NAME;${PACKAGE}" "CPACK_DEBIAN_PACKAGE_VERSION;${VERSION}"
    "CPACK_DEBIAN_PACKAGE_RELEASE;${REVISION}" "CPACK_DEBIAN_PACKAGE_ARCHITECTURE;${arch}"
    "CPACK_DEBIAN_PACKAGE_MAINTAINER;${MAINTAINER}" "CPACK_DEBIAN_PACKAGE_SECTION;admin"
    "CPACK_DEBIAN_PACKAGE_PRIORITY;optional" "CPACK_DEBIAN_PACKAGE_HOMEPAGE;${ALLOC_PKG_HOST_HOMEPAGE}"
    "CPACK_DEBIAN_PACKAGE_RECOMMENDS;systemd"
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

message(STATUS "build-debs: ${host_key}: packaging ${PACKAGE} ${DEB_VERSION} (${arch})")
execute_process(
  COMMAND sh -c "umask 022 && exec \"$@\"" build-debs "${ALLOC_PKG_CPACK_COMMAND}" --config "${cfg}"
  WORKING_DIRECTORY "${pkg_work}"
  OUTPUT_FILE "${pkg_work}/cpack.log" ERROR_FILE "${pkg_work}/cpack.log"
  RESULT_VARIABLE rc)
set(deb "${PACKAGE}_${DEB_VERSION}_${arch}.deb")
set(dbgsym "${PACKAGE}-dbgsym_${DEB_VERSION}_${arch}.deb")
if(NOT rc EQUAL 0 OR NOT EXISTS "${out}/${deb}" OR NOT EXISTS "${out}/${PACKAGE}-dbgsym_${DEB_VERSION}_${arch}.ddeb")
  file(READ "${pkg_work}/cpack.log" log)
  message(FATAL_ERROR "build-debs: ${host_key}: cpack failed (${rc}) or made no ${deb} + -dbgsym; its log:\n${log}")
endif()
fix_dbgsym("${out}/${PACKAGE}-dbgsym_${DEB_VERSION}_${arch}.ddeb" "${out}/${dbgsym}" "${pkg_work}/dbgsym" ${PACKAGE})
string(APPEND index "tool ${host_key} ${deb} ${dbgsym}\n")
list(APPEND made_keys "${host_key}")  # so the publish step below moves its files too
