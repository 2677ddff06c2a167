# Runs a command that must be rejected: exit status ALLOCPIPE_EXPECT_EXIT and
# a message (stdout + stderr) matching ALLOCPIPE_EXPECT_REGEX.
#
#   cmake [-DALLOCPIPE_COPY_FROM=F -DALLOCPIPE_COPY_TO=T]
#         -DALLOCPIPE_EXPECT_EXIT=N -DALLOCPIPE_EXPECT_REGEX=RE
#         -P expect_rejection.cmake -- COMMAND [ARG...]
#
# With COPY_FROM/COPY_TO the file is first copied (e.g. a normal library to
# a "-secure" name). If COPY_FROM is absent and ALLOCPIPE_NOT_BUILT_STATUS
# names a status file saying "NOT BUILT", the script prints
# "smoke: SKIPPED, no check ran" (the test's SKIP_REGULAR_EXPRESSION).
# With -DALLOCPIPE_SET_ELF_MACHINE=N the copy's ELF e_machine (bytes 18-19)
# is set to N: a library that claims another architecture.
# With -DALLOCPIPE_STALE_STAMP=F (the command's --stamp F) an old stamp is
# planted at F first, and F must be gone afterwards: a rejected library never
# keeps a stamp from an earlier run.
cmake_minimum_required(VERSION 3.21)

foreach(var ALLOCPIPE_EXPECT_EXIT ALLOCPIPE_EXPECT_REGEX)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "expect_rejection.cmake: -D${var}=... is required")
    endif()
endforeach()

set(command "")
set(seen_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
    if(seen_separator)
        list(APPEND command "${CMAKE_ARGV${i}}")
    elseif(CMAKE_ARGV${i} STREQUAL "--")
        set(seen_separator TRUE)
    endif()
endforeach()
if(NOT command)
    message(FATAL_ERROR "expect_rejection.cmake: no command after --")
endif()

if(DEFINED ALLOCPIPE_COPY_FROM)
    if(NOT EXISTS "${ALLOCPIPE_COPY_FROM}" AND ALLOCPIPE_NOT_BUILT_STATUS
       AND EXISTS "${ALLOCPIPE_NOT_BUILT_STATUS}")
        file(READ "${ALLOCPIPE_NOT_BUILT_STATUS}" status)
        if(status MATCHES "^NOT BUILT")
            string(STRIP "${status}" status)
            message("smoke: SKIPPED, no check ran: ${ALLOCPIPE_COPY_FROM} was not built here "
                    "(${ALLOCPIPE_NOT_BUILT_STATUS}: ${status})")
            return()
        endif()
    endif()
    if(NOT EXISTS "${ALLOCPIPE_COPY_FROM}")
        message(FATAL_ERROR "expected ${ALLOCPIPE_COPY_FROM} to exist (is the library built?), saw nothing")
    endif()
    get_filename_component(dir "${ALLOCPIPE_COPY_TO}" DIRECTORY)
    file(MAKE_DIRECTORY "${dir}")
    file(REMOVE "${ALLOCPIPE_COPY_TO}")
    file(COPY_FILE "${ALLOCPIPE_COPY_FROM}" "${ALLOCPIPE_COPY_TO}")
    message(STATUS "copied ${ALLOCPIPE_COPY_FROM} -> ${ALLOCPIPE_COPY_TO}")
    if(DEFINED ALLOCPIPE_SET_ELF_MACHINE)
        execute_process(COMMAND python3 -c
            "import sys; f = open(sys.argv[1], 'r+b'); f.seek(18); f.write(int(sys.argv[2]).to_bytes(2, 'little'))"
            "${ALLOCPIPE_COPY_TO}" "${ALLOCPIPE_SET_ELF_MACHINE}" RESULT_VARIABLE rc)
        if(NOT rc STREQUAL "0")
            message(FATAL_ERROR "could not set the ELF machine of ${ALLOCPIPE_COPY_TO} (python3: ${rc})")
        endif()
    endif()
endif()

if(DEFINED ALLOCPIPE_STALE_STAMP)
    file(WRITE "${ALLOCPIPE_STALE_STAMP}" "stamp of an earlier run that passed\n")
endif()

list(JOIN command " " shown)
message(STATUS "running (must be rejected): ${shown}")
execute_process(COMMAND ${command}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "output:\n${out}${err}")

if(NOT rc STREQUAL "${ALLOCPIPE_EXPECT_EXIT}")
    message(FATAL_ERROR "expected the harness to reject this with exit status "
                        "${ALLOCPIPE_EXPECT_EXIT}, saw exit status ${rc}")
endif()
if(DEFINED ALLOCPIPE_STALE_STAMP AND EXISTS "${ALLOCPIPE_STALE_STAMP}")
    message(FATAL_ERROR "expected no stamp ${ALLOCPIPE_STALE_STAMP} after exit status ${rc}, "
                        "saw one (the earlier run's stamp survived, or a new one was written)")
endif()
if(NOT "${out}${err}" MATCHES "${ALLOCPIPE_EXPECT_REGEX}")
    message(FATAL_ERROR "expected a message matching '${ALLOCPIPE_EXPECT_REGEX}', saw none "
                        "(output above)")
endif()
message(STATUS "rejected as expected: exit ${rc}, message matches '${ALLOCPIPE_EXPECT_REGEX}'")
