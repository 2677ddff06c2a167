// The quick preload probe run before any unit is touched: a child process
// (allocpipe-host itself, in its hidden "__probe-mapped" mode) starts with
// LD_PRELOAD=<library>, allocates, and checks in its own /proc/self/maps that
// the library really is mapped. A library that aborts or crashes on load, a
// file ld.so ignores (missing, wrong class, unreadable) or one that does not
// get mapped is refused with what the child said.
#pragma once
#include <filesystem>
#include <string>

namespace allocpipe::host {

struct ProbeResult {
  bool ok = false;
  std::string reason;  // what went wrong: exit status or signal, and the child's output
};

ProbeResult probe_preload(const std::string& library_path, const std::filesystem::path& probe_program,
                          int timeout_seconds = 30);

// The child's side: exit status 0 when `library_path` is mapped in this process.
int run_probe_mapped(const std::string& library_path);

// Whether /proc/<pid>/maps (as parsed) maps `library_path`: same device and
// inode as the file now, or the same path.
bool maps_library(const std::string& maps_text, const std::string& library_path);

}  // namespace allocpipe::host
