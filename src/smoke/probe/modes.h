// The probe's modes. Each returns normally after writing its records; the
// caller then writes "done <mode>".
#pragma once

#include <set>
#include <string>

#include "reporter.h"

namespace allocpipe::smoke::probe {

struct IdentityArgs {
    std::string library;    // the file that must serve the allocation API
    std::string allocator;  // a family of src/family (recipes/<family>/identity.cpp)
    std::string version;    // "x.y" or "x.y.z"
};

// Where malloc & co. resolve to, the allocator's own version answer, and
// whether returned memory belongs to the allocator.
void run_identity(const IdentityArgs& args, Reporter& r);

// Single-threaded C/C++ allocation API behaviour. `allowances` names the
// errno subchecks (e.g. "calloc.overflow") whose missing ENOMEM is reported
// as DEVIATION instead of FAIL.
void run_api(const std::set<std::string>& allowances, Reporter& r);

// Cross-thread frees, thread exit with live blocks, fork then allocate.
void run_threads(Reporter& r);

// Names of the hostile operations run_hostile() knows.
const std::set<std::string>& hostile_operations();
// Performs one deliberately wrong operation. Writes "armed <op>" just before
// it and "survived <op>" if it returns. Returns false if it could not be set
// up (a FAIL record says why).
bool run_hostile(const std::string& op, Reporter& r);

// A few ordinary allocations (lets the harness read MIMALLOC_VERBOSE output).
void run_noop(Reporter& r);

// 64 MiB of 16 B..64 KiB blocks, half freed; notes "mappings" with
// "<lines of /proc/self/maps> <resident KiB>".
void run_mappings(Reporter& r);

}  // namespace allocpipe::smoke::probe
