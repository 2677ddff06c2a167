// Turning samples into the per-run and per-arm numbers of the report.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "measure.h"

namespace apq {

// Per run. NaN where a number could not be computed (too few samples).
struct RunMetrics {
  int cycles = 0;                 // simulated hours seen
  double steady_anon_mb = 0;      // median Anonymous over quiet windows of the last 30% of cycles
  double steady_rss_mb = 0;       // same for Rss
  double steady_live_mb = 0;      // median live bytes over the same samples
  double slope_mb_per_h = 0;      // OLS of per-cycle quiet medians over the last half of cycles
  double peak_rss_mb = 0;         // max(ru_maxrss, sampled Rss)
  double peak_live_mb = 0;        // workload's own peak live bytes
  double rss_per_live = 0;        // steady_anon_mb / steady_live_mb
  double ops_per_s = 0;           // allocator calls / seconds the main loop was not sleeping
  double cpu_s = 0;               // user + system, all threads
  double lag_max_ms = 0;          // worst lag behind the simulated clock
  size_t quiet_samples = 0;       // samples behind the steady-state numbers
  double peak_maps = 0;           // most lines seen in /proc/PID/maps
  double steady_maps = 0;         // median mapping count over the steady-state samples
  double maps_per_gb = 0;         // steady_maps per GB of steady Rss
};

RunMetrics compute_metrics(const RunRecord& run);

double median(std::vector<double> v);
// Least-squares slope of y over x; NaN for fewer than 2 distinct x.
double ols_slope(const std::vector<std::pair<double, double>>& xy);

// The one definition of "steady state" and "growth", for the lab (cycles =
// simulated hours) and the fleet (cycles = sampling rounds of an experiment):
// the steady level is the median of the values in the last 30% of the cycles
// (at least one), the growth the least-squares slope of the per-cycle medians
// over the last half of the cycles (at least two), against each cycle's x.
struct CycleValue {
  int cycle = 0;   // 0 .. cycles-1
  double x = 0;    // position of the cycle on the slope's axis (hours, days)
  double value = 0;
};
struct SteadyState {
  double level = 0;    // NaN when no value falls in the window
  double slope = 0;    // value units per x unit; NaN with fewer than 2 cycles
  size_t samples = 0;  // values behind `level`
};
int steady_window_start(int cycles);
int slope_window_start(int cycles);
SteadyState steady_state(const std::vector<CycleValue>& values, int cycles);

struct Spread {
  double min = 0;
  double median = 0;
  double max = 0;
};
Spread spread(const std::vector<double>& v);
// The q-quantile (0..1) by linear interpolation between order statistics
// (Hyndman-Fan type 7, numpy's default); NaNs ignored, NaN when empty.
double quantile(std::vector<double> v, double q);

struct ArmSummary {
  std::string arm;
  std::string banner;
  int runs = 0;
  Spread steady_anon_mb, slope_mb_per_h, peak_rss_mb, rss_per_live, ops_per_s, cpu_s, steady_live_mb;
  Spread peak_maps, maps_per_gb;
};

ArmSummary summarize(const std::string& arm, const std::vector<const RunRecord*>& runs,
                     const std::vector<RunMetrics>& metrics);

}  // namespace apq
