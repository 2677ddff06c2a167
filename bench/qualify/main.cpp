// allocpipe-qualify: runs allocpipe-relay-workload under each allocator
// (LD_PRELOAD) and plain glibc, samples smaps_rollup, and writes the report.
// It links no allocator of its own beyond glibc's.
#include <cctype>
#include <cstdio>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "analysis.h"
#include "chart.h"
#include "check.h"
#include "cli.h"
#include "csv.h"
#include "fsutil.h"
#include "gate.h"
#include "measure.h"
#include "report.h"
#include "session.h"
#include "sysinfo.h"

namespace apq {
namespace {

struct Profile {
  const char* name;
  std::vector<std::string> workload_args;
  int repeats;
  double timeout_s;
};

// Full: one simulated day at 1200x (~75 s a run). Quick: six simulated hours
// at 3600x with a smaller relay (~8 s a run), for CI.
Profile profile(bool quick) {
  if (!quick) return {"full", {}, 2, 400};
  return {"quick",
          {"--hours", "6", "--time-scale", "3600", "--circuits", "1000", "--connections", "600",
           "--consensus-entries", "3000", "--microdescs", "3000", "--server-descs", "3000", "--cells-per-s", "60",
           "--diff-jobs", "8", "--diff-array-bytes", "262144-2097152", "--diff-output-bytes", "10000-1000000",
           "--burst-free-delay-s", "0.2-0.6"},
          1,
          120};
}

std::string safe(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return out;
}

// Fetches and checks every Debian arm before any run; one that cannot be
// measured here is dropped (with its derived --arm arms) and reported.
void resolve_debian_arms(Session& s, const std::string& logs) {
  DebianSettings ds;
  ds.cache_dir = s.config.download_cache;
  ds.smoke = s.config.smoke;
  ds.workload = s.config.workload;
  ds.log_dir = logs + "/debian";
  ds.work_dir = s.config.out_dir + "/debian";
  std::vector<Arm> kept;
  for (const Arm& arm : s.config.arms) {
    if (arm.debian.empty() || arm.base != arm.name) continue;
    std::fprintf(stderr, "allocpipe-qualify: %s: Debian package %s ...\n", arm.name.c_str(), arm.debian.c_str());
    DebianResult r;
    try {
      r = resolve_debian(arm.name, arm.debian, ds);
    } catch (const std::exception& e) {  // archive unreachable, apt failed, ...: reported, never silent
      r.name = arm.name;
      r.request = arm.debian;
      r.package = arm.debian.substr(0, arm.debian.find('='));
      r.not_measurable = e.what();
    }
    for (const auto& f : r.facts) std::fprintf(stderr, "allocpipe-qualify:   %s\n", f.c_str());
    if (!r.not_measurable.empty()) {
      std::fprintf(stderr, "allocpipe-qualify: NOT MEASURABLE: %s: %s\n", arm.name.c_str(), r.not_measurable.c_str());
      s.not_measured.push_back(arm.name + ": " + r.not_measurable);
    }
    s.debian.push_back(std::move(r));
  }
  for (Arm arm : s.config.arms) {
    bool drop = false;
    for (const auto& r : s.debian) {
      if (arm.base != r.name) continue;
      if (r.library.empty()) drop = true;
      arm.library = r.library;
    }
    if (!drop) kept.push_back(std::move(arm));
  }
  s.config.arms = std::move(kept);
  if (s.config.gate.enabled) {
    for (const std::string* n : {&s.config.gate.baseline, &s.config.gate.candidate}) {
      bool ok = false;
      for (const auto& arm : s.config.arms) ok = ok || arm.name == *n;
      if (!ok) throw std::runtime_error("--gate: arm '" + *n + "' cannot be measured here (see above)");
    }
  }
  if (s.config.arms.empty()) throw std::runtime_error("no arm can be measured here (see above)");
}

int run(const Config& cfg_in, const std::string& command_line) {
  const Profile prof = profile(cfg_in.quick);
  Session s;
  s.config = cfg_in;
  s.profile = prof.name;
  s.command_line = command_line;
  s.system = system_info();
  s.workload_argv = cfg_in.emulator;
  s.workload_argv.push_back(cfg_in.workload);
  for (const auto& a : prof.workload_args) s.workload_argv.push_back(a);
  for (const auto& a : cfg_in.workload_args) s.workload_argv.push_back(a);
  const int repeats = cfg_in.repeats > 0 ? cfg_in.repeats : prof.repeats;

  make_dirs(cfg_in.out_dir);
  const std::string logs = cfg_in.out_dir + "/logs";
  make_dirs(logs);

  s.max_map_count = max_map_count();
  resolve_debian_arms(s, logs);
  const Config& cfg = s.config;  // Debian arms now carry their library (or are gone)

  std::vector<std::string> banners;
  for (const auto& arm : cfg.arms) {
    banners.push_back(probe_banner(arm, cfg.emulator, cfg.workload, logs + "/probe-" + safe(arm.name) + ".stderr"));
    std::fprintf(stderr, "allocpipe-qualify: %-28s %s\n", arm.name.c_str(), banners.back().c_str());
    // ld.so only warns when a preload fails and the process goes on with
    // glibc: never report glibc's numbers under a library's name.
    const std::string& b = banners.back();
    if (!arm.library.empty() && (b.rfind("glibc", 0) == 0 || b.rfind("unknown", 0) == 0)) {
      throw std::runtime_error("arm '" + arm.name + "': " + arm.library + " did not take over malloc (the allocator "
                               "answers '" + b + "'); see " + logs + "/probe-" + safe(arm.name) + ".stderr");
    }
  }

  RunPlan plan;
  plan.argv = s.workload_argv;
  plan.sample_ms = cfg.sample_ms;
  plan.timeout_s = cfg.run_timeout_s > 0 ? cfg.run_timeout_s : prof.timeout_s;
  const size_t n = cfg.arms.size();
  int order = 0;
  bool failed = false;
  for (int rep = 1; rep <= repeats; ++rep) {
    for (size_t k = 0; k < n; ++k) {
      const size_t ai = (k + static_cast<size_t>(rep - 1)) % n;  // rotate: interleaved, fair order
      const Arm& arm = cfg.arms[ai];
      ++order;
      std::fprintf(stderr, "allocpipe-qualify: [%d/%zu] %s repeat %d ...", order, n * repeats, arm.name.c_str(), rep);
      std::fflush(stderr);
      RunRecord r = measure_run(arm, plan, logs + "/" + std::to_string(order) + "-" + safe(arm.name) + ".stderr");
      r.repeat = rep;
      r.order = order;
      if (r.banner.empty()) r.banner = banners[ai];
      if (banners[ai].find("secure level") != std::string::npos) r.banner = banners[ai];
      const RunMetrics m = compute_metrics(r);
      std::fprintf(stderr, " steady %s MB, slope %s MB/sim-h, peak %s MB, %.0f s%s%s\n",
                   num(m.steady_anon_mb, 1).c_str(), num(m.slope_mb_per_h, 2).c_str(), num(m.peak_rss_mb, 1).c_str(),
                   r.wall_s, r.error.empty() ? "" : " ERROR: ", r.error.c_str());
      failed = failed || !r.error.empty();
      s.runs.push_back(std::move(r));
      s.metrics.push_back(m);
    }
  }

  for (size_t ai = 0; ai < n; ++ai) {
    std::vector<const RunRecord*> runs;
    std::vector<RunMetrics> metrics;
    for (size_t i = 0; i < s.runs.size(); ++i) {
      if (s.runs[i].arm == cfg.arms[ai].name && s.runs[i].error.empty()) {
        runs.push_back(&s.runs[i]);
        metrics.push_back(s.metrics[i]);
      }
    }
    ArmSummary a = summarize(cfg.arms[ai].name, runs, metrics);
    if (a.banner.empty()) a.banner = banners[ai];
    s.summaries.push_back(a);
  }
  if (cfg.gate.enabled) {
    const ArmSummary* base = nullptr;
    const ArmSummary* cand = nullptr;
    for (const auto& a : s.summaries) {
      if (a.arm == cfg.gate.baseline) base = &a;
      if (a.arm == cfg.gate.candidate) cand = &a;
    }
    s.gated = true;
    s.gate = evaluate_gate(cfg.gate, *base, *cand);
  }

  {
    std::ifstream la("/proc/loadavg");
    std::string line;
    std::getline(la, line);
    s.system.emplace_back("load average at end", line.empty() ? "unavailable" : line);
  }
  write_file_atomic(cfg.out_dir + "/samples.csv", samples_csv(s));
  write_file_atomic(cfg.out_dir + "/runs.csv", runs_csv(s));
  write_file_atomic(cfg.out_dir + "/chart.svg", chart_svg(s));
  if (cfg.png) svg_to_png(cfg.out_dir + "/chart.svg", cfg.out_dir + "/chart.png", logs + "/rsvg-convert.log");
  write_file_atomic(cfg.out_dir + "/summary.md", summary_markdown(s));
  std::fprintf(stderr, "allocpipe-qualify: wrote %s/{summary.md,samples.csv,runs.csv,chart.svg%s}\n",
               cfg.out_dir.c_str(), cfg.png ? ",chart.png" : "");

  for (const auto& l : comparison_lines(s)) std::fprintf(stderr, "allocpipe-qualify: %s\n", l.c_str());
  for (const auto& d : s.debian) {
    for (const auto& a : s.summaries) {
      if (a.arm != d.name) continue;
      std::fprintf(stderr, "allocpipe-qualify: Debian %s %s (%s): steady anon RSS %s MB, slope %s MB/sim-h\n",
                   d.package.c_str(), d.version.c_str(), d.name.c_str(), num(a.steady_anon_mb.median, 1).c_str(),
                   num(a.slope_mb_per_h.median, 2).c_str());
    }
  }
  for (const auto& n : s.not_measured) std::fprintf(stderr, "allocpipe-qualify: not measured: %s\n", n.c_str());
  for (const auto& d : s.debian) {
    if (!d.api_failure.empty() && !d.library.empty()) {
      std::fprintf(stderr, "allocpipe-qualify: WARNING: %s (%s %s) failed the smoke gate's api check and was measured "
                   "anyway\n", d.name.c_str(), d.package.c_str(), d.version.c_str());
    }
  }
  for (const auto& w : mapping_warnings(s)) std::fprintf(stderr, "allocpipe-qualify: WARNING: %s\n", w.c_str());
  int rc = failed ? 3 : 0;
  if (s.gated) {
    for (const auto& l : s.gate.lines) std::fprintf(stderr, "allocpipe-qualify: gate %s\n", l.c_str());
    std::fprintf(stderr, "allocpipe-qualify: gate %s: candidate %s against baseline %s\n",
                 s.gate.pass ? "PASS" : "FAIL", cfg.gate.candidate.c_str(), cfg.gate.baseline.c_str());
    if (!s.gate.pass && rc == 0) rc = 1;
  }
  if (cfg.check) {
    std::vector<std::string> names;
    for (const auto& a : cfg.arms) names.push_back(a.name);
    const auto problems = check_report(cfg.out_dir, names, cfg.png, !cfg.emulator.empty());
    for (const auto& p : problems) std::fprintf(stderr, "allocpipe-qualify: check: %s\n", p.c_str());
    std::fprintf(stderr, "allocpipe-qualify: check %s (%zu problems)\n", problems.empty() ? "passed" : "FAILED",
                 problems.size());
    if (!problems.empty() && rc == 0) rc = 1;
  }
  return rc;
}

}  // namespace
}  // namespace apq

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(apq::usage().c_str(), stdout);
      return 0;
    }
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  apq::Config cfg;
  try {
    cfg = apq::parse_cli(args);
  } catch (const apq::UsageError& e) {
    std::fprintf(stderr, "allocpipe-qualify: %s\n", e.what());
    return 2;
  }
  try {
    return apq::run(cfg, command_line);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "allocpipe-qualify: error: %s\n", e.what());
    return 3;
  }
}
