// samples.csv, runs.csv and summary.md.
#pragma once

#include <string>
#include <vector>

#include "session.h"

namespace apq {

std::string samples_csv(const Session& s);
std::string runs_csv(const Session& s);
std::string summary_markdown(const Session& s);

// Under emulation (Config::emulator) the summary says which figures mean
// something; check_report() requires both phrases in an emulated report.
inline constexpr const char* kEmulatedRssMeaningful = "**RSS is meaningful**";
inline constexpr const char* kEmulatedSpeedNot = "**Speed is not**";

// Column names shared with the checker.
const std::vector<std::string>& samples_columns();
const std::vector<std::string>& runs_columns();

// Summary lines also printed on stderr: fleet rank agreement, same-version verdicts.
std::vector<std::string> comparison_lines(const Session& s);
// Arms whose mappings, extrapolated to the fleet RSS, come near vm.max_map_count.
std::vector<std::string> mapping_warnings(const Session& s);

}  // namespace apq
