// Status lines on stdout, one write(2) each, read by allocpipe-qualify:
//   A allocator=<banner>
//   C seed=<n> threads=<n> hours=<n> time_scale=<x> tick_ms=<n> quiet_fraction=<f>
//   S t_ms=<real ms> sim_s=<simulated s> hour=<h> phase=<startup|busy|quiet|done> live=<bytes> ops=<n>
//   D ops=<n> busy_s=<s> wall_s=<s> lag_max_ms=<ms> lag_forgiven_ms=<ms> peak_live=<bytes> checksum=<hex> ...
//   E live_end=<bytes>            (after tear-down; 0 unless a block leaked)
#pragma once

#include <cstdint>
#include <string>

namespace apw {

enum class Phase { kStartup, kBusy, kQuiet, kDone };
const char* phase_name(Phase p);

// Writes the whole line (adds '\n'); ignores a closed pipe.
void emit_line(const std::string& line);

void emit_status(double real_ms, int64_t sim_ms, int hour, Phase phase);

}  // namespace apw
