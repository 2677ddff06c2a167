# Script mode: Debian's own python3 for a foreign architecture, for the
# real-program smoke check under emulation (cmake/Smoke.cmake).
#   cmake -DARCH=arm64 -DVERSION=3.11 -DROOT=<dir> -DSTATUS=<file> -P EmulatedPython.cmake
# Downloads python<VERSION>-minimal, libpython<VERSION>-minimal,
# libpython<VERSION>-stdlib and libexpat1 for ARCH with `apt-get download`
# (apt checks them against the archive's signed indices; the machine's apt
# needs ARCH as a foreign architecture, scripts/setup-debian.sh adds it),
# unpacks them into ROOT (the emulator's -L: what is not in ROOT, the C
# library for one, comes from Debian's multiarch runtime in /) and writes
# STATUS: "OK <interpreter> <packages>" or "UNAVAILABLE <reason>". Never
# fails the build: without the interpreter the check is reported NOT RUN
# with this reason.
# -DDISABLED=<reason>: write "UNAVAILABLE <reason>" only.
cmake_minimum_required(VERSION 3.25)
set(packages python${VERSION}-minimal:${ARCH} libpython${VERSION}-minimal:${ARCH}
             libpython${VERSION}-stdlib:${ARCH} libexpat1:${ARCH})
set(tmp "${ROOT}.tmp")
file(REMOVE_RECURSE "${tmp}" "${ROOT}")
file(MAKE_DIRECTORY "${tmp}/debs")
# apt's sandbox user must be able to write there.
file(CHMOD "${tmp}/debs" DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_WRITE
     GROUP_EXECUTE WORLD_READ WORLD_WRITE WORLD_EXECUTE)

function(unavailable reason)
  file(REMOVE_RECURSE "${tmp}")
  file(MAKE_DIRECTORY "${ROOT}")
  file(WRITE "${STATUS}.tmp" "UNAVAILABLE ${reason}\n")
  file(RENAME "${STATUS}.tmp" "${STATUS}")
  message(STATUS "no ${ARCH} python3 for the real-program smoke check: ${reason}")
endfunction()

if(DEFINED DISABLED)
  unavailable("${DISABLED}")
  return()
endif()
execute_process(COMMAND apt-get download -q ${packages} WORKING_DIRECTORY "${tmp}/debs"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc STREQUAL "0")
  string(REGEX REPLACE "\n+" " " out "${out}")
  unavailable("apt-get download ${packages} failed (${rc}): ${out}")
  return()
endif()
file(GLOB debs "${tmp}/debs/*.deb")
list(SORT debs)
set(names "")
foreach(deb IN LISTS debs)
  execute_process(COMMAND dpkg-deb -x "${deb}" "${tmp}/root" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc STREQUAL "0")
    unavailable("dpkg-deb -x ${deb} failed: ${err}")
    return()
  endif()
  get_filename_component(name "${deb}" NAME)
  list(APPEND names "${name}")
endforeach()
set(interpreter "${ROOT}/usr/bin/python${VERSION}")
if(NOT EXISTS "${tmp}/root/usr/bin/python${VERSION}")
  unavailable("the packages ${names} hold no usr/bin/python${VERSION}")
  return()
endif()
file(RENAME "${tmp}/root" "${ROOT}")
file(REMOVE_RECURSE "${tmp}")
list(JOIN names " " names)
file(WRITE "${STATUS}.tmp" "OK ${interpreter} ${names}\n")
file(RENAME "${STATUS}.tmp" "${STATUS}")
message(STATUS "${ARCH} python3 for the real-program smoke check: ${interpreter} (${names})")
