// One row per unit: the library its configuration asks for, the allocator
// library actually mapped in its MainPID, state, uptime, restarts, memory and
// mappings. configured != mapped is the silent failure this tool makes loud.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bus.h"
#include "json.h"
#include "library.h"

namespace allocpipe::host {

struct UnitStatus {
  std::string unit, active_state, sub_state;
  std::uint32_t main_pid = 0, restarts = 0;
  std::optional<std::uint64_t> uptime_seconds;
  std::string configured_source = "none";  // drop-in, environment, none
  std::vector<std::string> configured;     // LD_PRELOAD entries
  std::string configured_id;               // our library id, when it is one
  std::string mapped_library, mapped_id;   // the allocator library mapped; "" = none (glibc)
  bool mapped_deleted = false;             // mapped file replaced since (package upgraded: restart to use it)
  std::string allocator = "glibc", version, variant;  // of the mapped library
  std::vector<std::string> missing;                   // configured entries not mapped
  std::optional<bool> match;                          // nullopt when not running
  std::optional<std::uint64_t> rss_bytes, anonymous_bytes, map_count;
  std::string problem;  // why a figure is missing

  bool running() const { return main_pid != 0; }
};

// Computes a row from what systemd says (`info`) and the kernel's view of
// its MainPID. `drop_in_exists`: our drop-in is in its DropInPaths.
UnitStatus inspect_unit(const UnitInfo& info, const Installed& installed, bool our_drop_in_loaded,
                        std::uint64_t now_realtime_usec);

Json status_json(const std::vector<UnitStatus>& rows, std::optional<std::uint64_t> max_map_count);
std::string status_table(const std::vector<UnitStatus>& rows, std::optional<std::uint64_t> max_map_count);
std::string human_bytes(std::uint64_t bytes);

}  // namespace allocpipe::host
