// --check: re-reads the report from disk and lists what is missing or insane.
#pragma once

#include <string>
#include <vector>

namespace apq {

// Problems found in `dir` for the given arms; empty when the report is
// complete: samples.csv and runs.csv parse with the expected columns, every
// arm has successful runs with steady state, slope, peak, ops/s and CPU time
// present, the workload's live bytes never exceed RSS (median over the quiet
// windows; peak live <= peak RSS), summary.md has a row per arm, chart.svg
// has a line per arm, and chart.png is a PNG (when want_png).
// emulated: the runs were under a user-mode emulator, and the summary must
// say that RSS is meaningful there and speed is not.
std::vector<std::string> check_report(const std::string& dir, const std::vector<std::string>& arms, bool want_png,
                                      bool emulated = false);

}  // namespace apq
