// A real, allocation-heavy program (python3 with PYTHONMALLOC=malloc) must
// print exactly the same with and without the preload, and the preloaded
// child's /proc/self/maps must show the library.
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "architecture.h"
#include "checks.h"
#include "paths.h"
#include "process.h"

namespace allocpipe::smoke {
namespace {

struct MapsMatch {
    int mappings = 0;
};

// Lines of /proc/<pid>/maps that map `library` (same inode and path, or
// same inode and same file name when the kernel shows another path).
MapsMatch find_in_maps(const std::string& maps, const std::string& library) {
    MapsMatch m;
    struct stat st {};
    if (::stat(library.c_str(), &st) != 0) return m;
    char resolved[4096];
    const std::string real = ::realpath(library.c_str(), resolved) ? resolved : library;
    const std::string base = real.substr(real.rfind('/') + 1);
    std::istringstream lines(maps);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream f(line);
        std::string range, perms, offset, dev, path;
        unsigned long inode = 0;
        f >> range >> perms >> offset >> dev >> inode;
        std::getline(f >> std::ws, path);
        if (inode != st.st_ino || path.empty()) continue;
        if (path == real || path.substr(path.rfind('/') + 1) == base) ++m.mappings;
    }
    return m;
}

std::string first_difference(const std::string& a, const std::string& b) {
    std::istringstream sa(a), sb(b);
    std::string la, lb;
    for (int n = 1;; ++n) {
        const bool ha = static_cast<bool>(std::getline(sa, la));
        const bool hb = static_cast<bool>(std::getline(sb, lb));
        if (!ha && !hb) return "identical";
        if (ha != hb || la != lb) {
            return "line " + std::to_string(n) + ": '" + (ha ? la : "<end>") + "' vs '" +
                   (hb ? lb : "<end>") + "'";
        }
    }
}

}  // namespace

CheckOutcome real_program_check(const Options& o) {
    CheckOutcome out;
    out.check = "real-program";
    if (!o.emulator.empty()) {
        // The build host's /usr/bin/python3 is for the build host: under the
        // emulator the workload needs an interpreter of the architecture
        // under test (--python, e.g. Debian's arm64 python3 unpacked into
        // --python-prefix), and there is none.
        bool have_status = false;
        std::string status = o.python_status.empty() ? "" : read_file(o.python_status, have_status);
        while (!status.empty() && status.back() == '\n') status.pop_back();
        struct stat st {};
        std::string why;
        if (o.python.empty()) {
            why = "--python not given";
        } else if (have_status && status.rfind("UNAVAILABLE ", 0) == 0) {
            why = status.substr(12);
        } else if (::stat(o.python.c_str(), &st) != 0) {
            why = o.python + " does not exist";
        }
        if (!why.empty()) {
            out.not_run = "no " + o.arch + " python3 to run " + o.script + " under " + o.emulator + " (" + why +
                          "; the build host's /usr/bin/python3 is " + native_architecture() +
                          "), so no real program ran with this library";
            return out;
        }
    }
    // Debian's own interpreter unless told otherwise (a pyenv or venv shim
    // in PATH would put a wrapper script between the preload and python).
    std::string python = o.python.empty() ? find_in_path("/usr/bin/python3") : find_in_path(o.python);
    if (!o.emulator.empty()) python = o.python;  // a foreign binary: checked above, never looked up in PATH
    if (python.empty() && o.python.empty()) python = find_in_path("python3");
    if (python.empty()) {
        out.fail("an interpreter '" + (o.python.empty() ? std::string("python3") : o.python) +
                     "' for the real-program workload",
                 "none found (Debian package: python3)");
        return out;
    }
    struct stat st {};
    if (o.script.empty() || ::stat(o.script.c_str(), &st) != 0) {
        out.fail("the workload script real_program.py", "'" + o.script + "' missing (--script)");
        return out;
    }
    TempDir tmp;
    auto command = [&](const std::string& maps, const std::string& preload) {
        Command c;
        c.emulator = emulator_argv(o);
        // The interpreter's own libraries (libpython, libexpat) are in its
        // prefix; what is not there comes from / as for the probe.
        if (!c.emulator.empty() && !o.python_prefix.empty()) c.emulator = {o.emulator, "-L", o.python_prefix};
        c.argv = {python, "-s", "-B", o.script, maps};
        c.preload = preload;
        c.scrub = o.scrub_env;
        c.env = {{"PYTHONMALLOC", "malloc"}, {"PYTHONHASHSEED", "0"}, {"LC_ALL", "C"}};
        c.timeout_seconds = o.timeout_seconds;
        return c;
    };
    const Command plain_cmd = command(tmp.file("maps-plain"), "");
    const Command pre_cmd = command(tmp.file("maps-preloaded"), o.library);
    const ProcessResult plain = run_process(plain_cmd);
    const ProcessResult pre = run_process(pre_cmd);
    out.children.push_back({describe_command(plain_cmd), plain.status_text(o.timeout_seconds), plain.err});
    out.children.push_back({describe_command(pre_cmd), pre.status_text(o.timeout_seconds), pre.err});

    if (!plain.succeeded() || plain.out.empty()) {
        out.fail("the workload to run without the preload (baseline)",
                 plain.status_text(o.timeout_seconds) + (plain.out.empty() ? ", no output" : ""));
        return out;
    }
    if (!pre.succeeded()) {
        out.fail("the workload to succeed under the preload as it does without",
                 pre.status_text(o.timeout_seconds));
        return out;
    }
    ++out.subchecks_passed;
    if (pre.out != plain.out) {
        out.fail("output identical to the run without the preload",
                 "a difference at " + first_difference(plain.out, pre.out));
    } else {
        ++out.subchecks_passed;
    }
    bool ok_plain = false, ok_pre = false;
    const std::string maps_plain = read_file(tmp.file("maps-plain"), ok_plain);
    const std::string maps_pre = read_file(tmp.file("maps-preloaded"), ok_pre);
    const MapsMatch in_pre = find_in_maps(maps_pre, o.library);
    const MapsMatch in_plain = find_in_maps(maps_plain, o.library);
    if (!ok_pre || in_pre.mappings == 0) {
        out.fail(o.library + " mapped in the preloaded child's /proc/self/maps",
                 ok_pre ? "no mapping of it" : "no maps file written");
    } else if (!ok_plain || in_plain.mappings != 0) {
        out.fail("the baseline child not to map " + o.library,
                 ok_plain ? "it is mapped: the baseline is not a baseline" : "no maps file written");
    } else {
        ++out.subchecks_passed;
    }
    if (out.passed()) {
        int lines = 0;
        for (char c : plain.out) lines += c == '\n';
        out.details.push_back(python + " workload: " + std::to_string(lines) +
                              " output lines identical with and without the preload; library "
                              "mapped " + std::to_string(in_pre.mappings) + " times in the child");
    }
    return out;
}

}  // namespace allocpipe::smoke
