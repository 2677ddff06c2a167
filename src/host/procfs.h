// What the kernel says about a running process: its mappings
// (/proc/PID/maps), its memory (/proc/PID/smaps_rollup) and the mapping limit
// (vm.max_map_count). Parsers take text so the tests feed them real and
// hand-made files alike.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace allocpipe::host {

struct Mapping {
  std::uint64_t start = 0, end = 0, offset = 0, inode = 0;
  std::string perms, device, path;  // path: "" for anonymous, "[heap]", "/usr/lib/..."
  bool deleted = false;             // the file was replaced or removed since it was mapped
};

std::vector<Mapping> parse_maps(const std::string& text, const std::string& what);
// The distinct file paths mapped (regular files only, " (deleted)" stripped).
std::vector<std::string> mapped_files(const std::vector<Mapping>& maps);

struct MemoryRollup {
  std::uint64_t rss_bytes = 0;
  std::uint64_t anonymous_bytes = 0;
};
MemoryRollup parse_smaps_rollup(const std::string& text, const std::string& what);

struct ProcessView {
  std::vector<Mapping> maps;
  std::optional<MemoryRollup> memory;  // smaps_rollup needs Linux >= 4.14 and permission
};
// Throws SystemError naming the pid when its maps cannot be read.
ProcessView read_process(std::uint32_t pid, const std::filesystem::path& proc = "/proc");

std::optional<std::uint64_t> read_max_map_count(const std::filesystem::path& proc = "/proc");

}  // namespace allocpipe::host
