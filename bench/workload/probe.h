// Asks the allocator that is actually serving malloc (after LD_PRELOAD) for
// its own version, through symbols it exports; no allocator is linked.
#pragma once

#include <string>

namespace apw {

// "<family> <its version answer>" for a family of src/family (e.g.
// "mimalloc 2.0.9 (mi_version=209)", "jemalloc 5.3.0-0-g54eaed1..."),
// "glibc 2.36", or "unknown".
std::string allocator_banner();

// Calls malloc_trim(0) if the process has one; returns whether it did.
bool try_malloc_trim();

}  // namespace apw
