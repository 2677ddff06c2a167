// allocpipe-smoke: smoke-test gate for a preloadable allocator library.
// See usage_text() in options.cpp and src/smoke/README.md.
#include <cstdio>
#include <exception>
#include <string>

#include "architecture.h"
#include "checks.h"
#include "options.h"
#include "paths.h"

using namespace allocpipe::smoke;

namespace {

// checks= lists what ran and passed; not_run= (under emulation only) what
// could not run there, by name, so a stamp never claims it.
std::string stamp_contents(const Options& o, const std::vector<std::string>& passed,
                           const std::vector<std::string>& not_run) {
    std::string s = "library=" + o.library + "\nallocator=" + o.allocator +
                    "\nversion=" + o.version + "\nvariant=" + o.variant + "\narchitecture=" + o.arch +
                    "\nchecks=";
    for (std::size_t i = 0; i < passed.size(); ++i) s += (i ? "," : "") + passed[i];
    if (!o.emulator.empty()) {
        s += "\nemulator=" + o.emulator + "\nnot_run=";
        for (std::size_t i = 0; i < not_run.size(); ++i) s += (i ? "," : "") + not_run[i];
    }
    return s + "\n";
}

std::string joined(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        o = parse_options(argc, argv);
    } catch (const HelpRequested&) {
        std::fputs(usage_text().c_str(), stdout);
        return 0;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "allocpipe-smoke: usage error: %s\n%s", e.what(), usage_text().c_str());
        return 2;
    }

    // A stamp from an earlier run must not survive a run that fails.
    if (!o.stamp.empty()) std::remove(o.stamp.c_str());

    if (!o.not_built_reason.empty()) {
        std::printf("smoke: %s: SKIPPED, no check ran: the library was not built here (%s: %s)\n",
                    o.library.c_str(), o.not_built_status.c_str(), o.not_built_reason.c_str());
        return o.not_built_exit;
    }

    // Before any child: a library for another architecture is rejected by
    // name (the loader would only ignore it, and every check would then
    // measure glibc).
    const CheckOutcome arch = architecture_check(o.arch, o.library, o.twin);
    if (!arch.passed()) {
        std::fputs(render(o.library, arch).c_str(), stderr);
        std::fprintf(stderr, "smoke: %s: wrong architecture, no check was run: FAILED\n", o.library.c_str());
        return 1;
    }

    int failed = 0;
    std::vector<std::string> passed, not_run;
    for (Check check : o.checks) {
        CheckOutcome outcome;
        try {
            outcome = run_check(o, check);
        } catch (const std::exception& e) {
            outcome.check = check_name(check);
            outcome.fail("the check to run", std::string("harness error: ") + e.what());
        }
        const std::string text = render(o.library, outcome);
        const bool to_stdout = outcome.passed() || !outcome.ran();
        std::fputs(text.c_str(), to_stdout ? stdout : stderr);
        std::fflush(to_stdout ? stdout : stderr);
        if (!outcome.ran()) {
            not_run.push_back(outcome.check);
        } else if (outcome.passed()) {
            passed.push_back(outcome.check);
        } else {
            ++failed;
        }
    }

    if (failed != 0) {
        std::fprintf(stderr, "smoke: %s: %d of %zu checks FAILED\n", o.library.c_str(), failed,
                     o.checks.size());
        return 1;
    }
    if (passed.empty()) {
        // Nothing ran: not a pass (ctest reports exit 77 as skipped).
        std::printf("smoke: %s: no check could run under emulation (%s)\n", o.library.c_str(),
                    joined(not_run).c_str());
        return 77;
    }
    if (not_run.empty()) {
        std::printf("smoke: %s: all %zu checks passed\n", o.library.c_str(), o.checks.size());
    } else {
        std::printf("smoke: %s: all %zu checks that run under emulation passed; NOT RUN under emulation: %s\n",
                    o.library.c_str(), passed.size(), joined(not_run).c_str());
    }
    if (!o.stamp.empty()) {
        try {
            write_file_atomically(o.stamp, stamp_contents(o, passed, not_run));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "smoke: %s: stamp: %s\n", o.library.c_str(), e.what());
            return 1;
        }
    }
    return 0;
}
