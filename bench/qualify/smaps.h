// Reading /proc/<pid>/smaps_rollup.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace apq {

struct MemSample {
  int64_t rss_kb = 0;
  int64_t anon_kb = 0;
  int64_t lazyfree_kb = 0;
  int64_t anon_huge_kb = 0;
};

// Parses the text of smaps_rollup; nullopt when Rss or Anonymous is missing.
std::optional<MemSample> parse_smaps_rollup(const std::string& text);
// Reads and parses /proc/<pid>/smaps_rollup; nullopt when it cannot be read
// (the process has gone) or lacks the fields.
std::optional<MemSample> read_smaps_rollup(pid_t pid);

// Number of lines of /proc/<pid>/maps (memory mappings, what vm.max_map_count
// limits); -1 when it cannot be read.
int64_t count_maps(pid_t pid);
// Lines of a maps text (exposed for tests).
int64_t count_lines(const std::string& text);
// /proc/sys/vm/max_map_count, or -1.
int64_t max_map_count();

}  // namespace apq
