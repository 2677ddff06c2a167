#include "checks.h"

#include "probe_run.h"

namespace allocpipe::smoke {

CheckOutcome run_check(const Options& o, Check check) {
    switch (check) {
        case Check::Secure: return secure_check(o);
        case Check::RealProgram: return real_program_check(o);
        case Check::Identity:
        case Check::Api:
        case Check::Threads: break;
    }
    return probe_check(o, check);
}

}  // namespace allocpipe::smoke
