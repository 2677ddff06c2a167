#include "options.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include "architecture.h"
#include "family.h"
#include "paths.h"

#ifndef ALLOCPIPE_SMOKE_DEFAULT_SCRIPT
#define ALLOCPIPE_SMOKE_DEFAULT_SCRIPT ""
#endif

namespace allocpipe::smoke {
namespace {

const char* const kChecks[] = {"identity", "api", "threads", "secure", "real-program"};

// x.y or x.y.z (or more parts): what recipes accept (gperftools is 2.10).
bool is_version(const std::string& v) {
    int dots = 0;
    bool digit_before = false;
    for (char c : v) {
        if (c == '.') {
            if (!digit_before) return false;
            ++dots;
            digit_before = false;
        } else if (std::isdigit(static_cast<unsigned char>(c))) {
            digit_before = true;
        } else {
            return false;
        }
    }
    return dots >= 1 && digit_before;
}

// An existing regular file, usable inside LD_PRELOAD (which splits on
// spaces and colons); returned as an absolute path.
std::string preloadable_file(const std::string& flag, const std::string& value) {
    if (value.empty()) throw UsageError(flag + ": empty path");
    if (value.find_first_of(": \t") != std::string::npos) {
        throw UsageError(flag + ": '" + value +
                         "' contains a space or colon, which LD_PRELOAD cannot carry");
    }
    const std::string path = absolute_path(value);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw UsageError(flag + ": cannot access '" + path + "': " + errno_text());
    }
    if (!S_ISREG(st.st_mode)) throw UsageError(flag + ": '" + path + "' is not a regular file");
    return path;
}

int parse_int(const std::string& flag, const std::string& value, long lo, long hi) {
    char* end = nullptr;
    const long v = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || v < lo || v > hi) {
        throw UsageError(flag + ": expected a whole number " + std::to_string(lo) + ".." +
                         std::to_string(hi) + ", saw '" + value + "'");
    }
    return static_cast<int>(v);
}

// True (and o.not_built_reason set) when the library is absent and the
// superbuild recorded that it was deliberately not built.
bool library_not_built(Options& o) {
    if (o.not_built_status.empty()) return false;
    struct stat st {};
    if (::stat(absolute_path(o.library).c_str(), &st) == 0) return false;
    bool ok = false;
    std::string status = read_file(o.not_built_status, ok);
    if (!ok || status.rfind("NOT BUILT", 0) != 0) return false;
    while (!status.empty() && (status.back() == '\n' || status.back() == ' ')) status.pop_back();
    o.library = absolute_path(o.library);
    o.not_built_reason = status;
    return true;
}

std::vector<Check> parse_checks(const std::string& flag, const std::string& list) {
    std::vector<Check> out;
    std::size_t start = 0;
    while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string name = list.substr(start, comma - start);
        if (name == "all") {
            for (Check c : {Check::Identity, Check::Api, Check::Threads, Check::Secure,
                            Check::RealProgram}) {
                out.push_back(c);
            }
        } else {
            bool known = false;
            for (int i = 0; i < 5; ++i) {
                if (name == kChecks[i]) {
                    out.push_back(static_cast<Check>(i));
                    known = true;
                }
            }
            if (!known) {
                throw UsageError(flag + ": unknown check '" + name +
                                 "' (expected identity, api, threads, secure, real-program or all)");
            }
        }
        start = comma + 1;
    }
    return out;
}

}  // namespace

const char* check_name(Check check) { return kChecks[static_cast<int>(check)]; }

std::vector<std::string> emulator_argv(const Options& o) {
    if (o.emulator.empty()) return {};
    std::vector<std::string> argv{o.emulator};
    if (!o.emulator_prefix.empty()) argv.insert(argv.end(), {"-L", o.emulator_prefix});
    return argv;
}

const std::vector<std::string>& enomem_subchecks() {
    static const std::vector<std::string> names{"malloc.impossible", "calloc.overflow",
                                                "realloc.impossible", "reallocarray.overflow"};
    return names;
}

std::string usage_text() {
    return "usage: allocpipe-smoke --library LIB --allocator FAMILY --version X.Y[.Z]\n"
           "                       --variant normal|secure [--twin NORMAL_LIB]\n"
           "                       [--secure-expectations FILE] [--scrub-env NAME|PREFIX*]...\n"
           "                       [--check identity|api|threads|secure|real-program|all[,...]]\n"
           "                       [--probe PATH] [--python PATH] [--script PATH]\n"
           "                       [--allow-missing-enomem SUBCHECK]... [--stamp FILE]\n"
           "                       [--timeout SECONDS]\n"
           "                       [--arch amd64|arm64 [--emulator QEMU [--emulator-prefix DIR]\n"
           "                        [--python-prefix DIR] [--python-status FILE]]]\n"
           "                       [--not-built-status FILE [--not-built-exit N]]\n"
           "Runs children under LD_PRELOAD=LIB and checks that LIB serves malloc, is the\n"
           "stated version, behaves, and (secure variant) shows protections its normal twin\n"
           "lacks. LIB must be an ELF file for --arch (default: this harness's own); a\n"
           "foreign one runs every child under --emulator (qemu-user, -L DIR), and a check\n"
           "that cannot run there is reported as NOT RUN by name. Exit status: 0 passed,\n"
           "1 a check failed, 2 usage error, 77 every check requested was not run under\n"
           "emulation; with --not-built-status, N (default 77) when LIB is absent and\n"
           "FILE says NOT BUILT.\n";
}

Options parse_options(int argc, char** argv) {
    Options o;
    std::vector<std::string> check_lists;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") throw HelpRequested{};
        if (flag.rfind("--", 0) != 0) throw UsageError(flag + ": unexpected argument");
        if (i + 1 >= argc) throw UsageError(flag + ": missing value");
        const std::string value = argv[++i];
        if (flag == "--library") o.library = value;
        else if (flag == "--twin") o.twin = value;
        else if (flag == "--not-built-status") o.not_built_status = absolute_path(value);
        else if (flag == "--not-built-exit") o.not_built_exit = parse_int(flag, value, 0, 255);
        else if (flag == "--allocator") o.allocator = value;
        else if (flag == "--version") o.version = value;
        else if (flag == "--variant") o.variant = value;
        else if (flag == "--check") check_lists.push_back(value);
        else if (flag == "--probe") o.probe = absolute_path(value);
        else if (flag == "--python") o.python = value;
        else if (flag == "--script") o.script = absolute_path(value);
        else if (flag == "--stamp") o.stamp = absolute_path(value);
        else if (flag == "--secure-expectations") o.secure_expectations = absolute_path(value);
        else if (flag == "--scrub-env") {
            if (value.empty() || value.find('=') != std::string::npos) {
                throw UsageError(flag + ": expected a variable name or a PREFIX*, saw '" + value + "'");
            }
            o.scrub_env.push_back(value);
        }
        else if (flag == "--allow-missing-enomem") {
            const auto& known = enomem_subchecks();
            if (std::find(known.begin(), known.end(), value) == known.end()) {
                throw UsageError(flag + ": '" + value +
                                 "' is not one of malloc.impossible, calloc.overflow, "
                                 "realloc.impossible, reallocarray.overflow");
            }
            o.allow_missing_enomem.push_back(value);
        } else if (flag == "--arch") {
            if (!known_architecture(value)) {
                throw UsageError(flag + ": expected amd64 or arm64, saw '" + value + "'");
            }
            o.arch = value;
        } else if (flag == "--emulator") {
            o.emulator = value;
        } else if (flag == "--emulator-prefix") {
            o.emulator_prefix = absolute_path(value);
        } else if (flag == "--python-prefix") {
            o.python_prefix = absolute_path(value);
        } else if (flag == "--python-status") {
            o.python_status = absolute_path(value);
        } else if (flag == "--timeout") {
            o.timeout_seconds = parse_int(flag, value, 1, 86400);
        } else {
            throw UsageError(flag + ": unknown option");
        }
    }

    if (o.library.empty()) throw UsageError("--library: required");
    if (allocpipe::family::find(o.allocator) == nullptr) {
        throw UsageError("--allocator: unknown allocator family '" + o.allocator +
                         "': no family folder " + allocpipe::family::families_dir() + "/" +
                         o.allocator + "/ was compiled in (known: " + allocpipe::family::names() +
                         ")");
    }
    if (!is_version(o.version)) {
        throw UsageError("--version: expected X.Y or X.Y.Z, saw '" + o.version + "'");
    }
    if (o.variant != "normal" && o.variant != "secure") {
        throw UsageError("--variant: expected normal or secure, saw '" + o.variant + "'");
    }
    if (!o.twin.empty() && o.variant != "secure") {
        throw UsageError("--twin: only meaningful with --variant secure");
    }
    const bool explicit_checks = !check_lists.empty();
    if (!explicit_checks) check_lists.push_back("all");
    for (const auto& list : check_lists) {
        for (Check c : parse_checks("--check", list)) {
            if (c == Check::Secure && o.variant != "secure") {
                // "all" means all checks that apply; naming it explicitly is a mistake.
                if (explicit_checks && list.find("secure") != std::string::npos) {
                    throw UsageError("--check: secure applies only to --variant secure");
                }
                continue;
            }
            if (std::find(o.checks.begin(), o.checks.end(), c) == o.checks.end()) {
                o.checks.push_back(c);
            }
        }
    }

    const bool secure_checked =
        std::find(o.checks.begin(), o.checks.end(), Check::Secure) != o.checks.end();
    if (secure_checked && o.secure_expectations.empty()) {
        throw UsageError("--secure-expectations: required for the secure check (the family's "
                         "secure.txt, e.g. " + std::string(allocpipe::family::families_dir()) +
                         "/" + o.allocator + "/secure.txt)");
    }

    if (o.arch.empty()) o.arch = native_architecture();
    if (o.arch != native_architecture() && o.emulator.empty()) {
        throw UsageError("--arch " + o.arch + ": this harness runs " + native_architecture() +
                         " programs; " + o.arch + " children need --emulator (qemu-user, e.g. "
                         "qemu-aarch64-static from the Debian package qemu-user-static)");
    }
    if (!o.emulator.empty()) {
        const std::string found = find_in_path(o.emulator);
        if (found.empty()) {
            throw UsageError("--emulator: '" + o.emulator + "' not found (Debian package qemu-user-static)");
        }
        o.emulator = found;
    }

    if (library_not_built(o)) return o;
    o.library = preloadable_file("--library", o.library);
    if (!o.twin.empty()) o.twin = preloadable_file("--twin", o.twin);
    if (o.probe.empty()) o.probe = sibling_of_self("allocpipe-smoke-probe");
    if (o.script.empty()) o.script = ALLOCPIPE_SMOKE_DEFAULT_SCRIPT;
    return o;
}

}  // namespace allocpipe::smoke
