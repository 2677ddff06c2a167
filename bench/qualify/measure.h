// Runs the workload once under one arm and samples its memory.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli.h"
#include "smaps.h"

namespace apq {

struct Sample {
  double t_s = 0;      // real seconds since start
  double sim_h = 0;    // simulated hours (from the latest status line)
  int hour = 0;        // simulated hour (cycle) index
  std::string phase;   // startup | busy | quiet
  int64_t live_bytes = 0;
  uint64_t ops = 0;
  int64_t maps = -1;   // lines of /proc/PID/maps at the same moment; -1 unread
  MemSample mem;
};

struct RunRecord {
  std::string arm;
  int repeat = 0;  // 1-based
  int order = 0;   // position in the whole session, 1-based
  std::string banner;
  std::vector<Sample> samples;
  std::map<std::string, std::string> config;  // fields of the workload's C line
  std::map<std::string, std::string> done;    // fields of the workload's D line
  int64_t live_end = -1;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  int64_t maxrss_kb = 0;
  double wall_s = 0;
  std::string exit;  // "exit 0", ...
  std::string error;  // empty when the run is usable
  std::string stderr_path;
};

struct RunPlan {
  std::vector<std::string> argv;  // workload and its arguments
  double timeout_s = 0;
  int sample_ms = 100;
};

// key=value fields of a status line after its tag ("S", "D", ...).
std::map<std::string, std::string> parse_fields(const std::string& line);

RunRecord measure_run(const Arm& arm, const RunPlan& plan, const std::string& stderr_path);

// The allocator's own account of itself: the workload's --probe answer (via
// the families' version queries or gnu_get_libc_version) plus the line a
// family prints about itself at start-up (its banner_env / banner_marker,
// e.g. mimalloc's "secure level").
// `launcher`: the emulator's argv prefix (Config::emulator), empty when native.
std::string probe_banner(const Arm& arm, const std::vector<std::string>& launcher, const std::string& workload,
                         const std::string& stderr_path);

}  // namespace apq
