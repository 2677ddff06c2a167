// Which units a command acts on, and what systemd and the kernel say about them.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bus.h"
#include "library.h"
#include "status.h"

namespace allocpipe::host {

// The loaded units matching `patterns`; glob-free names are loaded even when
// systemd has not loaded them yet. UsageError naming every pattern that
// matches nothing, and every named unit systemd does not know.
std::vector<std::string> resolve_units(Systemd& systemd, const std::vector<std::string>& patterns);

// Without patterns, status and metrics show the loaded services that have our
// drop-in or an LD_PRELOAD in their environment.
std::vector<std::string> preloading_units(Systemd& systemd, const std::filesystem::path& unit_dir);

bool our_drop_in_loaded(const UnitInfo& info, const std::filesystem::path& unit_dir);
UnitStatus unit_status(Systemd& systemd, const std::string& unit, const Installed& installed,
                       const std::filesystem::path& unit_dir);
std::uint64_t realtime_usec();

}  // namespace allocpipe::host
