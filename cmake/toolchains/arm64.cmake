# Cross toolchain for Debian arm64 (aarch64-linux-gnu) on an amd64 Debian
# host: Debian's cross compilers (crossbuild-essential-arm64) with their
# sysroot-less layout, the C library in /usr/aarch64-linux-gnu and multiarch
# arm64 libraries (e.g. zlib1g-dev:arm64) in /usr/lib/aarch64-linux-gnu.
# Programs built with it run under qemu-aarch64-static -L / against Debian's
# multiarch arm64 runtime (libc6:arm64, libstdc++6:arm64).
# Used by the mimalloc builder (cmake/builders/cmake-package.cmake) and by
# the cross sub-build of allocpipe's own tools (allocpipe-tools-arm64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# A superbuild passes the compilers it checked (-DCMAKE_C_COMPILER=...);
# otherwise Debian's names from PATH.
if(NOT CMAKE_C_COMPILER)
  set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
endif()
if(NOT CMAKE_CXX_COMPILER)
  set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
endif()

# Libraries and headers of the target only; programs (pkg-config, python3)
# of the build host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# pkg-config reports the arm64 multiarch .pc files, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# try_run() and the tools' own tests run arm64 programs through the emulator.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L /)
endif()
