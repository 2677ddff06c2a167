// Everything one qualification session measured, as the report writers see it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "analysis.h"
#include "cli.h"
#include "debian.h"
#include "measure.h"

namespace apq {

struct GateResult {
  bool pass = true;
  std::vector<std::string> lines;  // one verdict per criterion
};

struct Session {
  Config config;
  std::string profile;                     // "full" or "quick"
  std::vector<std::string> workload_argv;  // as run (without LD_PRELOAD)
  std::string command_line;
  std::vector<std::pair<std::string, std::string>> system;
  std::vector<RunRecord> runs;             // in the order they ran
  std::vector<RunMetrics> metrics;         // parallel to runs
  std::vector<ArmSummary> summaries;       // in arm order
  bool gated = false;
  GateResult gate;
  std::vector<DebianResult> debian;        // Debian arms, measurable or not
  std::vector<std::string> not_measured;   // "arm: reason" for arms dropped before any run
  int64_t max_map_count = -1;              // the host's vm.max_map_count
};

}  // namespace apq
