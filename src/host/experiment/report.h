// The experiment's report, computed from samples.csv alone (one host's or
// several merged), with the qualification benchmark's definitions of steady
// state and growth (apq::steady_state): a cycle is a sampling round, counted
// from the first sample at the experiment's interval.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "experiment.h"
#include "samples.h"

namespace allocpipe::host::experiment {

struct UnitResult {
  std::string host, unit, arm, library;
  std::size_t samples = 0, invalid = 0;
  double steady_rss_mb = 0, steady_anon_mb = 0, slope_mb_per_day = 0, mappings = 0;  // NaN: not measured
  std::size_t restarts = 0;  // MainPID changes within one boot (service manager or operator restarts)
  std::size_t reboots = 0;   // boot id changes between its samples
  bool vanished = false;     // its last sample found the unit gone
  std::string first_invalid_note;
};

struct ArmResult {
  Arm arm;
  std::size_t units = 0, measured = 0, samples = 0, invalid = 0, restarts = 0, reboots = 0, vanished = 0;
  double rss_median = 0, rss_q1 = 0, rss_q3 = 0;
  double slope_median = 0, slope_q1 = 0, slope_q3 = 0;
  double anon_median = 0, mappings_median = 0;
};

struct Report {
  std::string name;
  std::vector<std::string> hosts;
  double t0 = 0, t_end = 0, interval_seconds = 0;
  int cycles = 0;
  std::size_t samples = 0;
  std::vector<UnitResult> units;     // sorted by arm order, host, unit
  std::vector<ArmResult> arms;       // in the experiment's arm order
  std::vector<std::string> appeared; // host/unit sampled while in no arm
  std::vector<std::string> left_out; // "unit (arm): reason", from experiment.json when known
  // Per arm and round: (hours since t0, q1, median, q3) of the units' RSS (MB).
  std::vector<std::vector<std::array<double, 4>>> series;
};

// `arms`: the experiment's arms (arms seen only in the samples are appended);
// `interval_seconds` 0 = the median spacing of the samples.
Report compute_report(const std::string& name, const std::vector<SampleRow>& rows, std::vector<Arm> arms,
                      double interval_seconds);

// `chart`: the file the markdown shows (chart.png, or chart.svg without rsvg-convert).
std::string report_markdown(const Report& r, const std::vector<std::string>& gate_lines,
                            const std::string& chart = "chart.png");
std::string arms_csv(const Report& r);
std::string units_csv(const Report& r);
// RSS over time per arm (median line, inter-quartile band) and the
// distribution of the units' steady-state RSS per arm at the end.
std::string report_svg(const Report& r);

}  // namespace allocpipe::host::experiment
