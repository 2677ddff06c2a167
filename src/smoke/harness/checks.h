// The checks allocpipe-smoke can run on a library.
#pragma once

#include "options.h"
#include "outcome.h"

namespace allocpipe::smoke {

// Hostile operations in sacrificial children; protections must be detected
// by the library (and, with --twin, be missing from the normal twin).
CheckOutcome secure_check(const Options& o);

// python3 workload with and without the preload: same output, library mapped.
CheckOutcome real_program_check(const Options& o);

CheckOutcome run_check(const Options& o, Check check);

}  // namespace allocpipe::smoke
