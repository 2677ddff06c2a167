// allocpipe-smoke-probe: runs inside a child process started by
// allocpipe-smoke with LD_PRELOAD=<library>. It links no allocator.
//
//   allocpipe-smoke-probe identity --library L --allocator A --version V
//   allocpipe-smoke-probe api [--allow-deviation NAME]...
//   allocpipe-smoke-probe threads
//   allocpipe-smoke-probe hostile OP
//   allocpipe-smoke-probe noop
//   allocpipe-smoke-probe mappings
//
// Exit status: 0 all subchecks passed, 1 a subcheck failed, 2 usage error.
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "../common/protocol.h"
#include "modes.h"
#include "reporter.h"

namespace probe = allocpipe::smoke::probe;

namespace {

int usage(const std::string& why) {
    std::fprintf(stderr,
                 "allocpipe-smoke-probe: usage error: %s\n"
                 "usage: allocpipe-smoke-probe identity --library L --allocator A --version V\n"
                 "       allocpipe-smoke-probe api [--allow-deviation NAME]...\n"
                 "       allocpipe-smoke-probe threads | noop | hostile OP\n",
                 why.c_str());
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage("missing mode");
    const std::string mode = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    probe::Reporter reporter;

    if (mode == "identity") {
        probe::IdentityArgs id;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (i + 1 >= args.size()) return usage(args[i] + ": missing value");
            const std::string& key = args[i];
            const std::string& value = args[++i];
            if (key == "--library") id.library = value;
            else if (key == "--allocator") id.allocator = value;
            else if (key == "--version") id.version = value;
            else return usage(key + ": unknown option");
        }
        if (id.library.empty() || id.allocator.empty() || id.version.empty()) {
            return usage("identity needs --library, --allocator and --version");
        }
        probe::run_identity(id, reporter);
    } else if (mode == "api") {
        std::set<std::string> allowances;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] != "--allow-deviation" || i + 1 >= args.size()) {
                return usage(args[i] + ": expected --allow-deviation NAME");
            }
            allowances.insert(args[++i]);
        }
        probe::run_api(allowances, reporter);
    } else if (mode == "threads" && args.empty()) {
        probe::run_threads(reporter);
    } else if (mode == "noop" && args.empty()) {
        probe::run_noop(reporter);
    } else if (mode == "mappings" && args.empty()) {
        probe::run_mappings(reporter);
    } else if (mode == "hostile" && args.size() == 1) {
        if (probe::hostile_operations().count(args[0]) == 0) {
            return usage("hostile: unknown operation '" + args[0] + "'");
        }
        if (!probe::run_hostile(args[0], reporter)) return 1;
    } else {
        return usage("unknown mode or arguments: '" + mode + "'");
    }

    probe::emit(allocpipe::smoke::protocol::kDone, mode);
    return reporter.failed() ? 1 : 0;
}
