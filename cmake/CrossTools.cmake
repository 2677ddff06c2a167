# allocpipe's own tools for a foreign architecture: the same source tree
# configured with cmake/toolchains/<arch>.cmake and -DALLOC_TOOLS_ONLY=ON
# (the smoke probe, the fake allocators of tests/smoke, the benchmark
# workload and, with ALLOC_BUILD_HOST, allocpipe-host; no libraries, no
# tests, no packaging), as the ExternalProject
# allocpipe-tools-<arch> in ${CMAKE_BINARY_DIR}/tools/<arch>.
#
#   allocpipe_add_cross_tools(<arch>)
#       sets ALLOC_TOOLS_<arch>_DIR, _PROBE, _WORKLOAD, _FAKES_DIR (where
#       tests/smoke's fakes are: lib<target>.so) and _HOST (allocpipe-host,
#       empty without ALLOC_BUILD_HOST) in the caller's scope.
#       Everything that runs these programs depends on the target
#       allocpipe-tools-<arch>, and runs them through ALLOC_ARCH_<arch>_EMULATOR.
include_guard(GLOBAL)
include(ExternalProject)

function(allocpipe_add_cross_tools arch)
  set(dir "${CMAKE_BINARY_DIR}/tools/${arch}")
  set(probe "${dir}/src/smoke/allocpipe-smoke-probe")
  set(workload "${dir}/bench/allocpipe-relay-workload")
  set(fakes "${dir}/tests/smoke")
  set(byproducts "${probe}" "${workload}")
  set(host "")
  if(ALLOC_BUILD_HOST)
    set(host "${dir}/src/host/allocpipe-host")
    list(APPEND byproducts "${host}")
  endif()
  foreach(fake no-override wrong-version level-0 no-level)
    list(APPEND byproducts "${fakes}/liballocpipe-smoke-fake-${fake}.so")
  endforeach()
  ExternalProject_Add(allocpipe-tools-${arch}
    SOURCE_DIR "${PROJECT_SOURCE_DIR}"
    BINARY_DIR "${dir}"
    PREFIX "${CMAKE_BINARY_DIR}/tools/${arch}-ep"
    CMAKE_ARGS
      "-DCMAKE_TOOLCHAIN_FILE=${ALLOC_ARCH_${arch}_TOOLCHAIN_FILE}"
      "-DCMAKE_C_COMPILER=${ALLOC_ARCH_${arch}_C_COMPILER}"
      "-DCMAKE_CXX_COMPILER=${ALLOC_ARCH_${arch}_CXX_COMPILER}"
      "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}"
      "-DALLOC_TOOLS_ONLY=ON"
      "-DALLOC_BUILD_HOST=${ALLOC_BUILD_HOST}"
      "-DALLOC_RECIPES_DIR=${ALLOC_RECIPES_DIR}"
    BUILD_ALWAYS TRUE
    BUILD_BYPRODUCTS ${byproducts}
    INSTALL_COMMAND ""
    USES_TERMINAL_CONFIGURE TRUE
    USES_TERMINAL_BUILD TRUE)
  set(ALLOC_TOOLS_${arch}_DIR "${dir}" PARENT_SCOPE)
  set(ALLOC_TOOLS_${arch}_PROBE "${probe}" PARENT_SCOPE)
  set(ALLOC_TOOLS_${arch}_WORKLOAD "${workload}" PARENT_SCOPE)
  set(ALLOC_TOOLS_${arch}_FAKES_DIR "${fakes}" PARENT_SCOPE)
  set(ALLOC_TOOLS_${arch}_HOST "${host}" PARENT_SCOPE)
endfunction()
