// Shared by the fuzz targets.
#pragma once
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "archive_stream.h"

namespace allocpipe::fuzz {

// Small limits keep each run fast; the logic under test is the same.
inline ExtractLimits small_limits() {
  ExtractLimits limits;
  limits.max_total_bytes = 8 << 20;
  limits.max_entries = 2000;
  limits.max_ratio = 100;
  limits.ratio_grace_bytes = 1 << 20;
  limits.max_header_bytes = 64 << 10;
  return limits;
}

// A policy violation found by a fuzzer: report and crash so libFuzzer saves the input.
[[noreturn]] inline void violation(const std::string& what) {
  std::fprintf(stderr, "POLICY VIOLATION: %s\n", what.c_str());
  std::abort();
}

// A private directory for one fuzzer process: $ALLOCPIPE_FUZZ_SANDBOX, else
// /dev/shm (fast), else the temporary directory.
inline std::filesystem::path make_sandbox() {
  std::string base;
  if (const char* env = std::getenv("ALLOCPIPE_FUZZ_SANDBOX"); env && *env) base = env;
  else if (::access("/dev/shm", W_OK) == 0) base = "/dev/shm";
  else base = std::filesystem::temp_directory_path().string();
  std::filesystem::create_directories(base);
  std::string templ = base + "/allocpipe-fuzz-XXXXXX";
  if (!mkdtemp(templ.data())) violation("cannot create a sandbox under " + base);
  return templ;
}

}  // namespace allocpipe::fuzz
