// allocpipe-smoke: smoke-test gate for a preloadable allocator library.
// See usage_text() in options.cpp and src/smoke/README.md.
#include <cstdio>
#include <exception>
#include <string>

#include "checks.h"
#include "options.h"
#include "paths.h"

using namespace allocpipe::smoke;

namespace {

std::string stamp_contents(const Options& o) {
    std::string s = "library=" + o.library + "\nallocator=" + o.allocator +
                    "\nversion=" + o.version + "\nvariant=" + o.variant + "\nchecks=";
    for (std::size_t i = 0; i < o.checks.size(); ++i) {
        s += (i ? "," : "") + std::string(check_name(o.checks[i]));
    }
    return s + "\n";
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

    int failed = 0;
    for (Check check : o.checks) {
        CheckOutcome outcome;
        try {
            outcome = run_check(o, check);
        } catch (const std::exception& e) {
            outcome.check = check_name(check);
            outcome.fail("the check to run", std::string("harness error: ") + e.what());
        }
        const std::string text = render(o.library, outcome);
        std::fputs(text.c_str(), outcome.passed() ? stdout : stderr);
        std::fflush(outcome.passed() ? stdout : stderr);
        failed += outcome.passed() ? 0 : 1;
    }

    if (failed != 0) {
        std::fprintf(stderr, "smoke: %s: %d of %zu checks FAILED\n", o.library.c_str(), failed,
                     o.checks.size());
        return 1;
    }
    std::printf("smoke: %s: all %zu checks passed\n", o.library.c_str(), o.checks.size());
    if (!o.stamp.empty()) {
        try {
            write_file_atomically(o.stamp, stamp_contents(o));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "smoke: %s: stamp: %s\n", o.library.c_str(), e.what());
            return 1;
        }
    }
    return 0;
}
