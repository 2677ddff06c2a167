# Smoke-test gate for the preloadable allocator libraries.
#
# Include once from the top-level CMakeLists.txt (it adds src/smoke itself if
# add_subdirectory(src/smoke) has not been done before):
#
#   allocpipe_add_smoke(ID <id> LIBRARY <abs path> ALLOCATOR <family>
#                       VERSION <x.y[.z]> VARIANT <normal|secure>
#                       [TWIN <abs path of the normal twin library> [TWIN_STATUS <its status file>]]
#                       [DEPENDS <target>...]
#                       [NOT_BUILT_STATUS <status file>]
#                       [ALLOW_MISSING_ENOMEM <subcheck>... | NONE])
#       ctest tests smoke.<id>.<check> (LABELS smoke;<id>) for the checks
#       identity, api, threads, secure (secure variant only), real-program;
#       for a normal variant of a family with a secure.txt also smoke.<id>.renamed-as-secure (LABELS
#       smoke;<id>;selftest): the library copied to a "-secure" name must be
#       rejected by the harness with --variant secure (identity passes, the
#       secure check must fail with "saw no detection").
#       Build-time gate: ${CMAKE_BINARY_DIR}/smoke/<id>.passed, written by the
#       harness (temporary name, then rename) only when every check passed;
#       target smoke-<id> runs it. The rule's output is <id>.checked (written
#       after the harness succeeded, also when the library was deliberately
#       not built), so a skipped library is reported once, not on every build. The stamp is appended to the global
#       property ALLOCPIPE_SMOKE_STAMPS, the target to ALLOCPIPE_SMOKE_TARGETS.
#       ALLOW_MISSING_ENOMEM: api subchecks (malloc.impossible, calloc.overflow,
#       realloc.impossible, reallocarray.overflow) whose failure may leave errno
#       unset; reported as "known deviation", never silently. Default (and
#       NONE): every errno check strict. allocpipe_smoke_library() passes the
#       version recipe's KNOWN_DEVIATIONS: deviations belong to one version,
#       a new version does not inherit them.
#       ALLOCATOR is a family folder of cmake/Recipes.cmake (an unknown one
#       is an error naming the folder); a secure variant is checked against
#       that folder's secure.txt, and every child's environment is scrubbed
#       of every family's ENVIRONMENT variables.
#       NOT_BUILT_STATUS: the superbuild's <id>.status. If the library is
#       absent and that file starts with "NOT BUILT", the tests are reported
#       as skipped (ctest "Not Run", with the reason) and the gate prints
#       SKIPPED and writes no stamp; otherwise an absent library fails.
#
#       ARCH <debian arch>: a foreign architecture of cmake/Architectures.cmake
#       (ID is then <id>_<arch>): every child runs under that architecture's
#       emulator (qemu-user, -L its cross C library), the probe is the cross
#       sub-build's (cmake/CrossTools.cmake), the labels are smoke;<arch>;<id>,
#       the stamp is smoke/<arch>/<id>.passed (global property
#       ALLOCPIPE_ARCH_SMOKE_STAMPS), and a check that cannot run under
#       emulation (real-program when Debian's python3 of that architecture
#       could not be downloaded, see ALLOCPIPE_SMOKE_PYTHON_DOWNLOAD) is
#       reported NOT RUN by name with the reason: ctest shows it skipped, the
#       stamp lists it as not_run.
#       Every library (native too) must be an ELF file of its architecture:
#       the harness's architecture check rejects it before any child runs.
#
#   allocpipe_smoke_library(<id> [ARCH <arch>])
#       The per-id hook of the top-level CMakeLists.txt: allocpipe_add_smoke()
#       from the ALLOC_<id>_* variables of cmake/Recipes.cmake and the
#       paths of cmake/Architectures.cmake; a secure id gets the normal id
#       of the same recipe (same architecture) as TWIN when that id is selected too.
#
#   allocpipe_finish_smoke()
#       Target `smoke` depending on every smoke-<id>, part of ALL unless
#       ALLOCPIPE_SMOKE_IN_ALL is OFF (so `make install` runs the gate first).
#       Call after the last allocpipe_add_smoke(); also adds the self-tests
#       when BUILD_TESTING is on.
#
#   allocpipe_add_smoke_selftests()
#       Builds the fake allocators of tests/smoke and registers tests
#       (LABELS smoke;selftest) proving the harness rejects them. Idempotent.

include_guard(GLOBAL)

get_filename_component(_ALLOCPIPE_SMOKE_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(_ALLOCPIPE_SMOKE_EXPECT_REJECTION "${_ALLOCPIPE_SMOKE_ROOT}/tests/smoke/expect_rejection.cmake")

option(ALLOCPIPE_SMOKE_IN_ALL "Run the smoke gate (target smoke) as part of the default build" ON)

if(NOT TARGET allocpipe-smoke)
    add_subdirectory("${_ALLOCPIPE_SMOKE_ROOT}/src/smoke" "${CMAKE_BINARY_DIR}/src/smoke")
endif()

# Debian's interpreter for the real-program check (a pyenv/venv shim in PATH
# would put a wrapper script under the preload). Empty: the harness reports
# the missing interpreter as a failure of the real-program check.
find_program(ALLOCPIPE_SMOKE_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT ALLOCPIPE_SMOKE_PYTHON)
    find_program(ALLOCPIPE_SMOKE_PYTHON NAMES python3)
endif()

file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/smoke")
# The real-program check under emulation needs python3 of the architecture
# under test, run through the emulator: Debian's own, downloaded by the build
# (cmake/EmulatedPython.cmake) into emulation/<arch>/python; when that fails
# (or ALLOCPIPE_SMOKE_PYTHON_DOWNLOAD is OFF) the check is reported NOT RUN
# with the reason.
option(ALLOCPIPE_SMOKE_PYTHON_DOWNLOAD
       "Download Debian's python3 of each foreign architecture (apt-get download) for the real-program check under emulation" ON)
if(ALLOCPIPE_SMOKE_PYTHON)
    execute_process(COMMAND "${ALLOCPIPE_SMOKE_PYTHON}" -c "import sys; print('%d.%d' % sys.version_info[:2])"
                    OUTPUT_VARIABLE _allocpipe_python_version OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

# emulation/<arch>/python (+ .status) and the rule that fills it, once per
# architecture; <prefix>_ROOT, _STATUS, _INTERPRETER in the caller's scope.
function(_allocpipe_smoke_emulated_python arch prefix)
    set(root "${CMAKE_BINARY_DIR}/emulation/${arch}/python")
    set(status "${root}.status")
    set(${prefix}_ROOT "${root}" PARENT_SCOPE)
    set(${prefix}_STATUS "${status}" PARENT_SCOPE)
    set(${prefix}_INTERPRETER "${root}/usr/bin/python${_allocpipe_python_version}" PARENT_SCOPE)
    if(TARGET allocpipe-smoke-python-${arch})
        return()
    endif()
    if(ALLOCPIPE_SMOKE_PYTHON_DOWNLOAD AND _allocpipe_python_version)
        add_custom_command(OUTPUT "${status}"
            COMMAND "${CMAKE_COMMAND}" -DARCH=${arch} -DVERSION=${_allocpipe_python_version} "-DROOT=${root}"
                    "-DSTATUS=${status}" -P "${_ALLOCPIPE_SMOKE_ROOT}/cmake/EmulatedPython.cmake"
            DEPENDS "${_ALLOCPIPE_SMOKE_ROOT}/cmake/EmulatedPython.cmake"
            COMMENT "Fetching Debian's ${arch} python${_allocpipe_python_version} for the real-program smoke check under emulation"
            VERBATIM)
    else()
        add_custom_command(OUTPUT "${status}"
            COMMAND "${CMAKE_COMMAND}" -DARCH=${arch} "-DROOT=${root}" "-DSTATUS=${status}"
                    "-DDISABLED=not downloaded (ALLOCPIPE_SMOKE_PYTHON_DOWNLOAD=OFF, or no host python3 to match the version of)"
                    -P "${_ALLOCPIPE_SMOKE_ROOT}/cmake/EmulatedPython.cmake"
            DEPENDS "${_ALLOCPIPE_SMOKE_ROOT}/cmake/EmulatedPython.cmake"
            VERBATIM)
    endif()
    add_custom_target(allocpipe-smoke-python-${arch} DEPENDS "${status}")
endfunction()

# Every family's ENVIRONMENT (cmake/Recipes.cmake): scrubbed from every
# child, whatever family is under test.
function(_allocpipe_smoke_scrub_args out_var)
    set(args "")
    foreach(family IN LISTS ALLOC_FAMILIES)
        foreach(name IN LISTS ALLOC_FAMILY_${family}_ENVIRONMENT)
            list(APPEND args --scrub-env "${name}")
        endforeach()
    endforeach()
    set(${out_var} "${args}" PARENT_SCOPE)
endfunction()

# The harness arguments that select the architecture: none for the build
# host's own; for a foreign one the cross-built probe and the emulator.
function(_allocpipe_smoke_arch_args out_var arch)
    if(arch STREQUAL "" OR arch STREQUAL ALLOC_HOST_ARCH)
        set(${out_var} --probe "$<TARGET_FILE:allocpipe-smoke-probe>" PARENT_SCOPE)
        return()
    endif()
    if(NOT DEFINED ALLOC_TOOLS_${arch}_PROBE OR NOT DEFINED ALLOC_ARCH_${arch}_EMULATOR)
        message(FATAL_ERROR "smoke: ${arch}: no cross-built tools or emulator (cmake/Architectures.cmake and "
                            "allocpipe_add_cross_tools(${arch}) must come first)")
    endif()
    set(args --probe "${ALLOC_TOOLS_${arch}_PROBE}" --arch ${arch}
             --emulator "${ALLOC_ARCH_${arch}_EMULATOR}" --emulator-prefix "${ALLOC_ARCH_${arch}_EMULATOR_PREFIX}")
    _allocpipe_smoke_emulated_python(${arch} PY)
    list(APPEND args --python "${PY_INTERPRETER}" --python-prefix "${PY_ROOT}" --python-status "${PY_STATUS}")
    set(${out_var} "${args}" PARENT_SCOPE)
endfunction()

# Harness arguments shared by the tests and the gate of one library.
function(_allocpipe_smoke_common_args out_var library allocator version variant twin allow
                                      not_built_status arch)
    allocpipe_family_dir(${allocator} family_dir)
    _allocpipe_smoke_scrub_args(scrub)
    _allocpipe_smoke_arch_args(arch_args "${arch}")
    set(args
        --library "${library}" --allocator "${allocator}" --version "${version}"
        --variant "${variant}" ${arch_args}
        --script "${ALLOCPIPE_SMOKE_SCRIPT}" ${scrub})
    if(variant STREQUAL "secure")
        if(NOT EXISTS "${family_dir}/secure.txt")
            message(FATAL_ERROR "smoke: ${allocator} ${version} secure: the family has no ${family_dir}/secure.txt "
                                "listing the protections its secure variant must show")
        endif()
        list(APPEND args --secure-expectations "${family_dir}/secure.txt")
    endif()
    if(not_built_status)
        list(APPEND args --not-built-status "${not_built_status}")
    endif()
    if(twin)
        list(APPEND args --twin "${twin}")
    endif()
    if(ALLOCPIPE_SMOKE_PYTHON AND (arch STREQUAL "" OR arch STREQUAL ALLOC_HOST_ARCH))
        list(APPEND args --python "${ALLOCPIPE_SMOKE_PYTHON}")
    endif()
    foreach(subcheck IN LISTS allow)
        list(APPEND args --allow-missing-enomem "${subcheck}")
    endforeach()
    set(${out_var} "${args}" PARENT_SCOPE)
endfunction()

function(allocpipe_add_smoke)
    cmake_parse_arguments(PARSE_ARGV 0 S "" "ID;LIBRARY;ALLOCATOR;VERSION;VARIANT;TWIN;TWIN_STATUS;NOT_BUILT_STATUS;ARCH"
                          "DEPENDS;ALLOW_MISSING_ENOMEM")
    set(where "allocpipe_add_smoke(${S_ID})")
    if(S_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "${where}: unexpected arguments: ${S_UNPARSED_ARGUMENTS}")
    endif()
    foreach(required ID LIBRARY ALLOCATOR VERSION VARIANT)
        if(NOT S_${required})
            message(FATAL_ERROR "${where}: ${required} is required")
        endif()
    endforeach()
    if(NOT S_ID MATCHES "^[A-Za-z0-9._-]+$")
        message(FATAL_ERROR "${where}: ID '${S_ID}' may hold only letters, digits, '.', '_', '-'")
    endif()
    if(NOT IS_ABSOLUTE "${S_LIBRARY}")
        message(FATAL_ERROR "${where}: LIBRARY must be an absolute path, got '${S_LIBRARY}'")
    endif()
    allocpipe_family_dir(${S_ALLOCATOR} family_dir)  # an unknown family is an error naming its folder
    if(NOT S_VERSION MATCHES "^[0-9]+(\\.[0-9]+)+$")
        message(FATAL_ERROR "${where}: VERSION must be x.y or x.y.z, got '${S_VERSION}'")
    endif()
    if(NOT S_VARIANT MATCHES "^(normal|secure)$")
        message(FATAL_ERROR "${where}: VARIANT must be normal or secure, got '${S_VARIANT}'")
    endif()
    if(S_TWIN AND NOT S_VARIANT STREQUAL "secure")
        message(FATAL_ERROR "${where}: TWIN is only meaningful for VARIANT secure")
    endif()
    if(S_TWIN AND NOT IS_ABSOLUTE "${S_TWIN}")
        message(FATAL_ERROR "${where}: TWIN must be an absolute path, got '${S_TWIN}'")
    endif()
    if(NOT TARGET allocpipe-smoke OR NOT TARGET allocpipe-smoke-probe)
        message(FATAL_ERROR "${where}: add_subdirectory(src/smoke) must come before")
    endif()

    if(NOT DEFINED S_ALLOW_MISSING_ENOMEM OR S_ALLOW_MISSING_ENOMEM STREQUAL "NONE")
        set(allow "")
    else()
        set(allow ${S_ALLOW_MISSING_ENOMEM})
    endif()

    # A foreign architecture: ID is <id>_<arch>; stamps and labels use <id>.
    set(foreign FALSE)
    set(base "${S_ID}")
    set(stamp_dir "${CMAKE_BINARY_DIR}/smoke")
    set(labels "smoke;${S_ID}")
    set(tool_deps allocpipe-smoke allocpipe-smoke-probe)
    if(S_ARCH AND NOT S_ARCH STREQUAL ALLOC_HOST_ARCH)
        set(foreign TRUE)
        string(REGEX REPLACE "_${S_ARCH}$" "" base "${S_ID}")
        if(base STREQUAL S_ID)
            message(FATAL_ERROR "${where}: ARCH ${S_ARCH}: ID must be <id>_${S_ARCH}")
        endif()
        set(stamp_dir "${CMAKE_BINARY_DIR}/smoke/${S_ARCH}")
        set(labels "smoke;${S_ARCH};${base}")
        _allocpipe_smoke_emulated_python(${S_ARCH} PY)
        set(tool_deps allocpipe-smoke allocpipe-tools-${S_ARCH} "${PY_STATUS}")
        file(MAKE_DIRECTORY "${stamp_dir}")
    endif()

    _allocpipe_smoke_common_args(common "${S_LIBRARY}" ${S_ALLOCATOR} ${S_VERSION} ${S_VARIANT}
                                 "${S_TWIN}" "${allow}" "${S_NOT_BUILT_STATUS}" "${S_ARCH}")

    # ctest: one test per (library, check).
    set(checks identity api threads)
    if(S_VARIANT STREQUAL "secure")
        list(APPEND checks secure)
    endif()
    list(APPEND checks real-program)
    foreach(check IN LISTS checks)
        add_test(NAME smoke.${S_ID}.${check}
                 COMMAND allocpipe-smoke ${common} --check ${check})
        # TIMEOUT guards against hangs only; nothing asserts on time.
        set_tests_properties(smoke.${S_ID}.${check} PROPERTIES
            LABELS "${labels}" TIMEOUT 900 SKIP_RETURN_CODE 77)
    endforeach()

    # A normal build renamed as secure must be rejected by the secure check
    # (for a family that has a secure variant at all).
    if(S_VARIANT STREQUAL "normal" AND EXISTS "${family_dir}/secure.txt")
        get_filename_component(name "${S_LIBRARY}" NAME)
        string(REGEX REPLACE "\\.so$" "-secure.so" renamed "${name}")
        if(renamed STREQUAL name)
            set(renamed "${name}-secure")
        endif()
        set(copy "${CMAKE_BINARY_DIR}/smoke/renamed/${S_ID}/${renamed}")
        _allocpipe_smoke_common_args(renamed_args "${copy}" ${S_ALLOCATOR} ${S_VERSION} secure
                                     "" "${allow}" "" "${S_ARCH}")
        add_test(NAME smoke.${S_ID}.renamed-as-secure
                 COMMAND "${CMAKE_COMMAND}"
                     "-DALLOCPIPE_COPY_FROM=${S_LIBRARY}" "-DALLOCPIPE_COPY_TO=${copy}"
                     "-DALLOCPIPE_NOT_BUILT_STATUS=${S_NOT_BUILT_STATUS}"
                     "-DALLOCPIPE_EXPECT_EXIT=1"
                     "-DALLOCPIPE_EXPECT_REGEX=: secure: expected .*, saw no detection"
                     -P "${_ALLOCPIPE_SMOKE_EXPECT_REJECTION}"
                     -- "$<TARGET_FILE:allocpipe-smoke>" ${renamed_args} --check identity,secure)
        set_tests_properties(smoke.${S_ID}.renamed-as-secure PROPERTIES
            LABELS "${labels};selftest" TIMEOUT 900
            SKIP_REGULAR_EXPRESSION "smoke: SKIPPED, no check ran")
    endif()

    # Build-time gate: the stamp exists only if every check passed. The
    # superbuild's status file (written after the library) stands for the
    # library: a skipped library has no file, and a missing input would make
    # Ninja re-run the gate on every build.
    set(stamp "${stamp_dir}/${base}.passed")
    set(checked "${stamp_dir}/${base}.checked")
    if(S_NOT_BUILT_STATUS)
        set(file_deps "${S_NOT_BUILT_STATUS}")
    else()
        set(file_deps "${S_LIBRARY}")
    endif()
    if(S_TWIN_STATUS)
        list(APPEND file_deps "${S_TWIN_STATUS}")
    elseif(S_TWIN)
        list(APPEND file_deps "${S_TWIN}")
    endif()
    add_custom_command(
        OUTPUT "${checked}"
        COMMAND allocpipe-smoke ${common} --check all --stamp "${stamp}" --not-built-exit 0
        COMMAND "${CMAKE_COMMAND}" -E touch "${checked}"
        DEPENDS ${file_deps} ${tool_deps} "${ALLOCPIPE_SMOKE_SCRIPT}"
                ${S_DEPENDS}
        COMMENT "Smoke-testing ${S_ID}: ${S_LIBRARY}"
        VERBATIM)
    add_custom_target(smoke-${S_ID} DEPENDS "${checked}")
    if(foreign)
        # The build host's packaging looks stamps up by file name: a foreign
        # architecture's stamps are kept apart.
        add_dependencies(smoke-${S_ID} allocpipe-tools-${S_ARCH} allocpipe-smoke-python-${S_ARCH})
        set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_ARCH_SMOKE_STAMPS "${stamp}")
    else()
        set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_SMOKE_STAMPS "${stamp}")
    endif()
    set_property(GLOBAL APPEND PROPERTY ALLOCPIPE_SMOKE_TARGETS smoke-${S_ID})
endfunction()

function(allocpipe_finish_smoke)
    if(TARGET smoke)
        message(FATAL_ERROR "allocpipe_finish_smoke() called twice")
    endif()
    get_property(targets GLOBAL PROPERTY ALLOCPIPE_SMOKE_TARGETS)
    set(all "")
    if(ALLOCPIPE_SMOKE_IN_ALL)
        set(all ALL)
    endif()
    if(targets)
        add_custom_target(smoke ${all} COMMENT "Smoke gate: every built allocator library passed")
        add_dependencies(smoke ${targets})
    else()
        # Nothing registered is not a pass (and not part of ALL: there is
        # nothing to gate).
        add_custom_target(smoke
            COMMAND "${CMAKE_COMMAND}" -E echo "smoke: no library registered with allocpipe_add_smoke()"
            COMMAND "${CMAKE_COMMAND}" -E false
            VERBATIM)
    endif()
    if(BUILD_TESTING)
        allocpipe_add_smoke_selftests()
    endif()
endfunction()

function(allocpipe_smoke_library id)
    cmake_parse_arguments(PARSE_ARGV 1 A "" "ARCH" "")
    if(NOT A_ARCH)
        set(A_ARCH "${ALLOC_HOST_ARCH}")
    endif()
    foreach(var ALLOC_LIBS_DIR ALLOC_STATUS_DIR ALLOC_${id}_LIBRARY ALLOC_${id}_ALLOCATOR
                ALLOC_${id}_VERSION ALLOC_${id}_VARIANT ALLOC_${id}_RECIPE)
        if(NOT DEFINED ${var})
            message(FATAL_ERROR "allocpipe_smoke_library(${id}): ${var} is not defined "
                                "(cmake/Recipes.cmake and cmake/Superbuild.cmake must come first)")
        endif()
    endforeach()
    allocpipe_arch_paths(${id} ${A_ARCH} P)
    set(extra DEPENDS ${P_TARGET})
    if(ALLOC_${id}_VARIANT STREQUAL "secure")
        set(normal "${ALLOC_${id}_RECIPE}")
        if(normal IN_LIST ALLOC_SELECTED_IDS AND ALLOC_${normal}_VARIANT STREQUAL "normal")
            allocpipe_arch_paths(${normal} ${A_ARCH} T)
            list(APPEND extra ${T_TARGET} TWIN "${T_LIBRARY}" TWIN_STATUS "${T_STATUS}")
        endif()
    endif()
    # Known deviations are the version recipe's, none by default.
    set(deviations "${ALLOC_${ALLOC_${id}_RECIPE}_KNOWN_DEVIATIONS}")
    if(deviations STREQUAL "")
        set(deviations NONE)
    endif()
    allocpipe_add_smoke(ID ${P_NAME}
        LIBRARY "${P_LIBRARY}"
        ALLOW_MISSING_ENOMEM ${deviations}
        ALLOCATOR ${ALLOC_${id}_ALLOCATOR} VERSION ${ALLOC_${id}_VERSION}
        VARIANT ${ALLOC_${id}_VARIANT}
        NOT_BUILT_STATUS "${P_STATUS}"
        ARCH ${A_ARCH}
        ${extra})
endfunction()

function(allocpipe_add_smoke_selftests)
    if(TARGET allocpipe-smoke-fake-no-override)
        return()  # already added
    endif()
    if(NOT TARGET allocpipe-smoke)
        message(FATAL_ERROR "allocpipe_add_smoke_selftests(): add_subdirectory(src/smoke) must come before")
    endif()
    add_subdirectory("${_ALLOCPIPE_SMOKE_ROOT}/tests/smoke" "${CMAKE_BINARY_DIR}/tests/smoke")
endfunction()
