// Command line of allocpipe-smoke.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace allocpipe::smoke {

enum class Check { Identity, Api, Threads, Secure, RealProgram };

const char* check_name(Check check);

struct Options {
    std::string library;    // absolute path of the library under test
    std::string allocator;  // a family compiled in from recipes/<family>/identity.cpp
    std::string version;    // "x.y" or "x.y.z"
    std::string variant;    // "normal" | "secure"
    std::string twin;       // normal build of the same version (secure only), or ""
    std::vector<Check> checks;
    std::string probe;      // allocpipe-smoke-probe executable
    std::string python;     // interpreter for the real-program check ("" = Debian's python3)
    std::string script;     // real-program workload script
    std::vector<std::string> allow_missing_enomem;  // api subchecks allowed to leave errno unset
    std::string stamp;      // written (atomically) when every check passed, or ""
    // The family's secure.txt: the protections a secure build must show.
    std::string secure_expectations;
    // Variables (NAME or PREFIX*) that configure an allocator: removed from
    // every child's environment (the families' ENVIRONMENT lists).
    std::vector<std::string> scrub_env;
    int timeout_seconds = 180;  // per child process; a hang guard, not a measurement
    // The Debian architecture the library must be built for ("" = this
    // harness's own). A foreign one runs every child through `emulator`
    // (qemu-user, e.g. qemu-aarch64-static) with `emulator_prefix` as its
    // -L (QEMU_LD_PREFIX: the cross C library, /usr/aarch64-linux-gnu).
    std::string arch;
    std::string emulator;
    std::string emulator_prefix;
    // Under emulation, the real-program check's interpreter (--python) is
    // Debian's python3 of that architecture unpacked into python_prefix (its
    // children's -L); python_status says why it is missing when it is
    // (cmake/EmulatedPython.cmake: "UNAVAILABLE <reason>").
    std::string python_prefix;
    std::string python_status;
    // The superbuild's status file for this library. When the library is
    // absent and this file says "NOT BUILT: ...", nothing is checked: the
    // harness prints SKIPPED with the reason and exits with not_built_exit.
    std::string not_built_status;
    int not_built_exit = 77;
    std::string not_built_reason;  // set by parse_options in that case
};

// A bad command line; what() names the offending argument.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct HelpRequested {};

// Throws UsageError or HelpRequested.
Options parse_options(int argc, char** argv);

std::string usage_text();

// The emulator's argv prefix for children (empty: run them natively).
std::vector<std::string> emulator_argv(const Options& o);

// api subchecks that --allow-missing-enomem accepts.
const std::vector<std::string>& enomem_subchecks();

}  // namespace allocpipe::smoke
