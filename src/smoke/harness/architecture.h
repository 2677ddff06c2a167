// Which architecture a library is built for (its ELF header), checked
// against the architecture under test before any child is started: an
// amd64 file published as arm64 (or the other way round) is rejected by
// name instead of being silently ignored by the loader.
#pragma once

#include <string>

#include "outcome.h"

namespace allocpipe::smoke {

// The Debian architecture this harness was compiled for ("amd64", "arm64").
const char* native_architecture();

// True for a Debian architecture name the harness knows.
bool known_architecture(const std::string& arch);

// Check "architecture": every library under test (the library and, when
// given, its normal twin) is a 64-bit ELF file for `arch`.
CheckOutcome architecture_check(const std::string& arch, const std::string& library,
                                const std::string& twin);

}  // namespace allocpipe::smoke
