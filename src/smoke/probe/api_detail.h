// Pieces of the "api" mode, one file per family of functions.
#pragma once

#include <cstddef>
#include <set>
#include <string>

#include "reporter.h"

namespace allocpipe::smoke::probe {

inline constexpr std::size_t KiB = 1024, MiB = 1024 * KiB;

// An absurd request no allocator can satisfy, hidden from the optimiser.
std::size_t impossible_size();

// `result` must be NULL and `err` ENOMEM. When `allow` names `subcheck`, a
// NULL result with errno unset is reported as DEVIATION instead of FAIL
// (known upstream gaps: microsoft/mimalloc#1135, jemalloc/jemalloc#2620).
// Frees a non-NULL result.
void expect_enomem(const std::set<std::string>& allow, const std::string& subcheck,
                   const std::string& call, void* result, int err, Reporter& r);

void check_calloc(const std::set<std::string>& allow, Reporter& r);
void check_realloc(const std::set<std::string>& allow, Reporter& r);
void check_aligned(Reporter& r);
void check_cxx(Reporter& r);
void check_large(Reporter& r);

}  // namespace allocpipe::smoke::probe
