// Where allocpipe-host reads and writes on a host. Every path can be
// overridden (option, else environment variable), so the tests run the real
// tool in a throwaway root.
#pragma once
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace allocpipe::host {

struct HostPaths {
  std::filesystem::path lib_dir, state_dir, unit_dir, apparmor_dir, apparmor_enabled_file, apparmor_parser;
  std::filesystem::path probe_program;  // this executable, run in its probe mode
  std::filesystem::path metrics_file;
};

struct RolloutOptions {
  std::size_t canary = 1, wave = 5, max_failures = 1;
  std::chrono::seconds health{10}, start_timeout{90};
  bool dry_run = false, apparmor_allow = false;
};

}  // namespace allocpipe::host
