// A unit's messages from the systemd journal (sd-journal): what the dynamic
// loader said about the preload since a restart, and the last lines, for the
// reason shown when a unit fails.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace allocpipe::host {

// ld.so's words for a preload it could not use: "ERROR: ld.so: object '...'
// from LD_PRELOAD cannot be preloaded (...): ignored."
bool is_loader_error(const std::string& message);

struct UnitLog {
  std::vector<std::string> loader_errors;  // since `since_usec`
  std::vector<std::string> last_lines;     // the unit's last lines (any time)
  std::string problem;                     // the journal could not be read, and why
};

// Entries of the unit's processes (_SYSTEMD_UNIT) and systemd's messages
// about it (UNIT), realtime >= since_usec.
UnitLog read_unit_log(const std::string& unit, std::uint64_t since_usec, std::size_t last_n = 10);

}  // namespace allocpipe::host
