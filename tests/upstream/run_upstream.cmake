cmake_minimum_required(VERSION 3.25)
# ctest upstream.<id> (opt-in label "upstream"): builds mimalloc's own
# test-api, test-api-fill and test-stress from the very source tree our
# library was built from, with the same variant options, and runs them.
#   -DID= -DSRC=<work/<id>/src> -DBUILD=<dir> -DSECURE=ON|OFF -DGENERATOR= -DJOBS=
if(NOT EXISTS "${SRC}/CMakeLists.txt")
  message("NOT BUILT HERE: ${ID}: no verified source tree at ${SRC} (see matrix.${ID})")
  return()
endif()
file(REMOVE_RECURSE "${BUILD}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SRC}" -B "${BUILD}" -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release
          -DMI_SECURE=${SECURE} -DMI_OVERRIDE=ON -DMI_OPT_ARCH=OFF -DMI_BUILD_TESTS=ON -DMI_BUILD_STATIC=OFF -DMI_BUILD_OBJECT=OFF
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${ID}: configuring upstream's tests failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BUILD}" --parallel ${JOBS} RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${ID}: building upstream's tests failed")
endif()
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --test-dir "${BUILD}" --output-on-failure RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${ID}: upstream's own tests failed")
endif()
