// allocpipe-host experiment start|sample|status|report|stop: a fleet
// experiment on this host, built on the rollout commands (enable, disable,
// rollback and their journals) rather than beside them.
#pragma once
#include <string>
#include <vector>

#include "context.h"
#include "experiment.h"
#include "samples.h"
#include "output.h"

namespace allocpipe::host::experiment {

struct ExperimentOptions {
  std::vector<Arm> arms;
  std::uint64_t interval_seconds = 300;
  std::uint64_t seed = 1;
  std::vector<std::string> merge;
  std::string out_dir;
  bool gate = false;
  std::string baseline, candidate, adopt;
  double max_slope_margin = -1, max_rss_margin = -1;  // < 0: allocpipe-qualify's defaults
  std::vector<std::string> given;                     // the flags found, for "applies to" errors
};

// Removes the experiment's own options (--arm, --interval, --seed, --merge,
// --out, --gate, --baseline, --candidate, --max-slope-margin,
// --max-rss-margin, --adopt) from `argv`, so the rest goes through the
// tool's common parser. UsageError on a bad value.
ExperimentOptions take_experiment_options(std::vector<std::string>& argv);

extern const char* const experiment_usage;

// args: SUBCOMMAND NAME [PATTERN...]
int cmd_experiment(const HostPaths& paths, const RolloutOptions& rollout, const std::vector<std::string>& args,
                   const ExperimentOptions& options, Reporter& out);

}  // namespace allocpipe::host::experiment

namespace allocpipe::host {
struct UnitStatus;
}

namespace allocpipe::host::experiment {

// One sample of a unit: valid only when it runs, was measured, and maps its
// arm's library (glibc arm: no allocator library and no LD_PRELOAD at all).
// `arm` nullptr: a unit matching the patterns that is in no arm.
SampleRow sample_of(const UnitStatus& s, const Arm* arm, const std::string& time, const std::string& host,
                    const std::string& boot_id);

}  // namespace allocpipe::host::experiment
