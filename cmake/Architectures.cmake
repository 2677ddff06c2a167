# The architecture axis (ALLOC_ARCHS): which Debian architectures every
# selected library id is built for. The build host's own architecture keeps
# every id, target, path and test name as before; a foreign architecture A of
# id X gets (README "Architectures"):
#   target X_A, library and manifest libs/A/<same names>, status
#   status/A/X.status, work dir work/A/X, smoke stamp smoke/A/X.passed,
#   smoke target smoke-X_A, ctest names smoke.X_A.<check> (labels smoke;A;X).
# '_' never occurs in ids or Debian package names, so X_A is unambiguous
# (Debian's own name_version_arch.deb).
#
# After include():
#   ALLOC_HOST_ARCH          the build host's Debian architecture
#   ALLOC_ARCHS              validated list; ALLOC_FOREIGN_ARCHS: those != host
#   ALLOC_ARCH_<A>_TRIPLET, _TOOLCHAIN_FILE, _C_COMPILER, _CXX_COMPILER,
#   _COMPILER_ID ("GNU 12.2.0"), _COMPILER_VERSION_LINE (its --version line),
#   _ELF_MACHINE (e_machine: 62 x86-64, 183 AArch64), _EMULATOR, _EMULATOR_PREFIX
#   allocpipe_arch_paths(<id> <arch> <prefix>)  sets <prefix>_TARGET/_LIBRARY/
#       _MANIFEST/_STATUS/_WORK_DIR/_STAMP/_SMOKE_TARGET/_NAME for either arch.
include_guard(GLOBAL)

# Debian architecture -> GNU triplet, ELF machine, qemu-user emulator and the
# Debian package each needs. One line per supported architecture.
set(_ALLOC_KNOWN_ARCHS amd64 arm64)
set(ALLOC_ARCH_amd64_TRIPLET x86_64-linux-gnu)
set(ALLOC_ARCH_amd64_ELF_MACHINE 62)
set(ALLOC_ARCH_amd64_ELF_NAME "x86-64")
set(ALLOC_ARCH_amd64_EMULATOR_NAME qemu-x86_64-static)
set(ALLOC_ARCH_arm64_TRIPLET aarch64-linux-gnu)
set(ALLOC_ARCH_arm64_ELF_MACHINE 183)
set(ALLOC_ARCH_arm64_ELF_NAME "AArch64")
set(ALLOC_ARCH_arm64_EMULATOR_NAME qemu-aarch64-static)

function(_alloc_detect_host_arch out_var)
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE arch
                  OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc STREQUAL "0" OR arch STREQUAL "")
    # Not a Debian system: the processor's Debian name.
    set(arch "${CMAKE_HOST_SYSTEM_PROCESSOR}")
    if(arch MATCHES "^(x86_64|AMD64)$")
      set(arch amd64)
    elseif(arch MATCHES "^(aarch64|arm64)$")
      set(arch arm64)
    endif()
  endif()
  set(${out_var} "${arch}" PARENT_SCOPE)
endfunction()

_alloc_detect_host_arch(ALLOC_HOST_ARCH)
set(ALLOC_ARCHS "${ALLOC_HOST_ARCH}" CACHE STRING
  "Debian architectures to build every library for (;-list of ${_ALLOC_KNOWN_ARCHS}); default: the build host's (${ALLOC_HOST_ARCH}).")
# The cross tools' names; a test points these at a missing name to see the
# configure error. Empty: <triplet>-gcc / <triplet>-g++ from PATH.
set(ALLOC_CROSS_PREFIX_arm64 "aarch64-linux-gnu-" CACHE STRING
  "Prefix of the arm64 cross compilers (Debian crossbuild-essential-arm64: aarch64-linux-gnu-gcc, -g++).")
set(ALLOC_EMULATOR_arm64 "qemu-aarch64-static" CACHE STRING
  "User-mode emulator that runs arm64 programs on this host (Debian qemu-user-static); never registered with binfmt_misc.")
# The emulated programs' libraries: Debian's multiarch arm64 runtime
# (libc6:arm64, libstdc++6:arm64 in /lib/aarch64-linux-gnu), as on a real
# arm64 host. Not the cross layout /usr/aarch64-linux-gnu: once multiarch
# libc6:arm64 is installed (zlib1g-dev:arm64 pulls it in), its ld.so finds
# the multiarch libc.so.6 first through qemu's fallback to host paths, and
# the mix of two glibc builds hangs in pthread_create.
set(ALLOC_EMULATOR_PREFIX_arm64 "/" CACHE PATH
  "qemu -L (QEMU_LD_PREFIX) for arm64 programs: / = Debian's multiarch arm64 runtime (libc6:arm64, libstdc++6:arm64).")

# The kernel page size the arm64 libraries are built for (README "Page
# sizes"): Debian's arm64 kernels use 4 KiB pages; a fleet on 64 KiB-page
# kernels needs 65536 (jemalloc refuses to start on pages larger than it was
# built for). Builders turn it into their options (jemalloc --with-lg-page,
# gperftools --with-tcmalloc-pagesize); mimalloc reads it at run time.
set(ALLOC_PAGE_SIZE_arm64 "4096" CACHE STRING
  "Kernel page size (bytes) of the arm64 hosts the arm64 libraries are built for: 4096 (Debian's kernels), 16384 or 65536.")
set_property(CACHE ALLOC_PAGE_SIZE_arm64 PROPERTY STRINGS 4096 16384 65536)
if(NOT ALLOC_PAGE_SIZE_arm64 MATCHES "^(4096|16384|65536)$")
  message(FATAL_ERROR "ALLOC_PAGE_SIZE_arm64='${ALLOC_PAGE_SIZE_arm64}': expected 4096, 16384 or 65536 (bytes)")
endif()

set(ALLOC_QUALIFY_EMULATED "mimalloc-2.0.9" CACHE STRING
  "Library ids qualified quickly under emulation for every foreign architecture (ctest bench.quick.<id>_<arch>); empty: none.")

if(ALLOC_ARCHS STREQUAL "")
  message(FATAL_ERROR "ALLOC_ARCHS is empty: expected a ;-list of Debian architectures (supported: ${_ALLOC_KNOWN_ARCHS})")
endif()
set(_alloc_seen "")
foreach(arch IN LISTS ALLOC_ARCHS)
  if(NOT arch IN_LIST _ALLOC_KNOWN_ARCHS)
    string(REPLACE ";" ", " known "${_ALLOC_KNOWN_ARCHS}")
    message(FATAL_ERROR "ALLOC_ARCHS: unsupported architecture '${arch}' (expected Debian architecture names, supported: ${known})")
  endif()
  if(arch IN_LIST _alloc_seen)
    message(FATAL_ERROR "ALLOC_ARCHS: '${arch}' is listed twice")
  endif()
  list(APPEND _alloc_seen "${arch}")
endforeach()

set(ALLOC_FOREIGN_ARCHS "")
foreach(arch IN LISTS ALLOC_ARCHS)
  if(NOT arch STREQUAL ALLOC_HOST_ARCH)
    list(APPEND ALLOC_FOREIGN_ARCHS "${arch}")
  endif()
endforeach()

# A foreign architecture needs its cross compilers, the emulator and the cross
# C library; each missing piece is a configure error naming its Debian package.
function(_alloc_require_cross arch)
  if(NOT arch STREQUAL "arm64")
    message(FATAL_ERROR "ALLOC_ARCHS: cross-building for ${arch} from a ${ALLOC_HOST_ARCH} host is not supported "
                        "(foreign architectures: arm64 from amd64)")
  endif()
  set(triplet "${ALLOC_ARCH_${arch}_TRIPLET}")
  set(package "crossbuild-essential-${arch}")
  foreach(lang C CXX)
    if(lang STREQUAL "C")
      set(name "${ALLOC_CROSS_PREFIX_${arch}}gcc")
    else()
      set(name "${ALLOC_CROSS_PREFIX_${arch}}g++")
    endif()
    unset(path)
    find_program(path "${name}" NO_CACHE)
    if(NOT path)
      message(FATAL_ERROR "ALLOC_ARCHS lists ${arch}, but its cross compiler '${name}' is not installed: "
                          "install the Debian package ${package} (scripts/setup-debian.sh does)")
    endif()
    set(ALLOC_ARCH_${arch}_${lang}_COMPILER "${path}" PARENT_SCOPE)
    if(lang STREQUAL "C")
      execute_process(COMMAND "${path}" -dumpfullversion OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
      execute_process(COMMAND "${path}" --version OUTPUT_VARIABLE version_text)
      string(REGEX MATCH "^[^\n]*" first_line "${version_text}")
      execute_process(COMMAND "${path}" -dumpmachine OUTPUT_VARIABLE machine OUTPUT_STRIP_TRAILING_WHITESPACE)
      if(NOT machine STREQUAL triplet)
        message(FATAL_ERROR "ALLOC_ARCHS lists ${arch}: ${path} targets '${machine}', expected ${triplet}")
      endif()
      set(ALLOC_ARCH_${arch}_COMPILER_ID "GNU ${version}" PARENT_SCOPE)
      set(ALLOC_ARCH_${arch}_COMPILER_VERSION_LINE "${first_line}" PARENT_SCOPE)
    endif()
  endforeach()
  find_program(emulator "${ALLOC_EMULATOR_${arch}}" NO_CACHE)
  if(NOT emulator)
    message(FATAL_ERROR "ALLOC_ARCHS lists ${arch}, but its user-mode emulator '${ALLOC_EMULATOR_${arch}}' is not installed "
                        "(the smoke gate runs every ${arch} library under it): install the Debian package qemu-user-static")
  endif()
  string(REGEX REPLACE "/$" "" root "${ALLOC_EMULATOR_PREFIX_${arch}}")
  foreach(pair "lib/ld-linux-aarch64.so.1;libc6:${arch}" "usr/lib/${triplet}/libstdc++.so.6;libstdc++6:${arch}")
    list(GET pair 0 file)
    list(GET pair 1 runtime)
    if(NOT EXISTS "${root}/${file}")
      message(FATAL_ERROR "ALLOC_ARCHS lists ${arch}, but ${root}/${file} is missing (emulated programs' libraries, "
                          "ALLOC_EMULATOR_PREFIX_${arch}=${ALLOC_EMULATOR_PREFIX_${arch}}): install the Debian package "
                          "${runtime} (multiarch; scripts/setup-debian.sh does)")
    endif()
  endforeach()
  set(ALLOC_ARCH_${arch}_EMULATOR "${emulator}" PARENT_SCOPE)
  set(ALLOC_ARCH_${arch}_EMULATOR_PREFIX "${ALLOC_EMULATOR_PREFIX_${arch}}" PARENT_SCOPE)
  set(ALLOC_ARCH_${arch}_TOOLCHAIN_FILE "${PROJECT_SOURCE_DIR}/cmake/toolchains/${arch}.cmake" PARENT_SCOPE)
endfunction()

foreach(arch IN LISTS ALLOC_FOREIGN_ARCHS)
  _alloc_require_cross(${arch})
endforeach()

# Every path and name of <id> built for <arch> (host arch: today's layout).
function(allocpipe_arch_paths id arch prefix)
  if(arch STREQUAL ALLOC_HOST_ARCH)
    set(name "${id}")
    set(sub "")
  else()
    set(name "${id}_${arch}")
    set(sub "/${arch}")
  endif()
  set(${prefix}_NAME "${name}" PARENT_SCOPE)
  set(${prefix}_TARGET "${name}" PARENT_SCOPE)
  set(${prefix}_SMOKE_TARGET "smoke-${name}" PARENT_SCOPE)
  set(${prefix}_LIBRARY "${CMAKE_BINARY_DIR}/libs${sub}/${ALLOC_${id}_LIBRARY}" PARENT_SCOPE)
  set(${prefix}_MANIFEST "${CMAKE_BINARY_DIR}/libs${sub}/${ALLOC_${id}_MANIFEST}" PARENT_SCOPE)
  set(${prefix}_STATUS "${CMAKE_BINARY_DIR}/status${sub}/${id}.status" PARENT_SCOPE)
  set(${prefix}_WORK_DIR "${CMAKE_BINARY_DIR}/work${sub}/${id}" PARENT_SCOPE)
  set(${prefix}_STAMP "${CMAKE_BINARY_DIR}/smoke${sub}/${id}.passed" PARENT_SCOPE)
  set(${prefix}_CHECKED "${CMAKE_BINARY_DIR}/smoke${sub}/${id}.checked" PARENT_SCOPE)
endfunction()
