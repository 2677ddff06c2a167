// Is a restarted unit what we expect? Active, a new MainPID that maps the
// expected library (or, when no particular library is expected, maps what
// its configuration asks for), no loader error in its journal since the
// restart, and still the same process, active, with no extra restart after
// the health window.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bus.h"
#include "library.h"
#include "output.h"
#include "status.h"

namespace allocpipe::host {

struct Expectation {
  std::string unit;
  std::optional<std::string> library;  // must be mapped; nullopt: configured == mapped
  std::uint32_t old_pid = 0;           // the process before the restart (must be replaced)
  std::string job_result;              // JobRemoved result of its restart
};

// inspect_unit(), repeated for up to `budget` while the expected library
// (nullopt: what its configuration preloads) is not yet mapped. Type=exec
// ends the restart job at execve, before the dynamic loader has mapped
// LD_PRELOAD, so a process seen at once may not have it yet; only a library
// still missing after the budget is a failure.
UnitStatus inspect_settled(const UnitInfo& info, const Installed& installed, bool our_drop_in_loaded,
                           const std::optional<std::string>& library, std::chrono::milliseconds budget);

// unit -> failure reason ("" = passed). Waits `health` once for all units.
std::map<std::string, std::string> verify_units(Systemd& systemd, const std::vector<Expectation>& expected,
                                                const Installed& installed, const std::filesystem::path& unit_dir,
                                                std::uint64_t since_usec, std::chrono::seconds health, Reporter& out,
                                                const std::string& label);

}  // namespace allocpipe::host
