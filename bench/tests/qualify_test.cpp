// Unit tests of the runner's pieces, and the workload's determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis.h"
#include "check.h"
#include "child.h"
#include "cli.h"
#include "csv.h"
#include "fsutil.h"
#include "gate.h"
#include "measure.h"
#include "report.h"
#include "smaps.h"

namespace apq {
namespace {

std::vector<std::string> base_args() { return {"--workload", APQ_WORKLOAD_PATH}; }

std::string usage_error(std::vector<std::string> extra) {
  auto args = base_args();
  args.insert(args.end(), extra.begin(), extra.end());
  try {
    parse_cli(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Cli, ArmKeepsCommasInsideValues) {
  Arm je;
  je.name = je.base = "jemalloc-5.3.0";
  je.library = "/x.so";
  const Arm a = parse_arm("jemalloc-5.3.0:MALLOC_CONF=background_thread:true,dirty_decay_ms:0,FOO=1", {je});
  ASSERT_EQ(a.env.size(), 2u);
  EXPECT_EQ(a.env[0].first, "MALLOC_CONF");
  EXPECT_EQ(a.env[0].second, "background_thread:true,dirty_decay_ms:0");
  EXPECT_EQ(a.env[1], (std::pair<std::string, std::string>("FOO", "1")));
  EXPECT_EQ(a.library, "/x.so");
  EXPECT_EQ(a.name, "jemalloc-5.3.0+MALLOC_CONF=background_thread:true,dirty_decay_ms:0+FOO=1");
}

TEST(Cli, ArmLabelAndGlibcBase) {
  const Arm a = parse_arm("trim=glibc:ALLOCPIPE_MALLOC_TRIM_IN_QUIET=1", {});
  EXPECT_EQ(a.name, "trim");
  EXPECT_EQ(a.base, "glibc");
  EXPECT_TRUE(a.library.empty());
}

TEST(Cli, ArmErrorsNameTheProblem) {
  EXPECT_THROW(parse_arm("nosuch:X=1", {}), UsageError);
  EXPECT_THROW(parse_arm("glibc", {}), UsageError);
  EXPECT_THROW(parse_arm("glibc:notanassignment", {}), UsageError);
  EXPECT_THROW(parse_arm("glibc:LD_PRELOAD=/x.so", {}), UsageError);
  try {
    parse_arm("nosuch:X=1", {});
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown base 'nosuch'"), std::string::npos) << e.what();
  }
}

TEST(Cli, Fractions) {
  EXPECT_DOUBLE_EQ(parse_fraction("10%", "x"), 0.10);
  EXPECT_DOUBLE_EQ(parse_fraction("0.25", "x"), 0.25);
  EXPECT_THROW(parse_fraction("ten", "x"), UsageError);
  EXPECT_THROW(parse_fraction("-1", "x"), UsageError);
}

TEST(Cli, BadInputIsNamed) {
  EXPECT_NE(usage_error({"--glibc", "--repeats", "0"}).find("--repeats: expected an integer in 1..100"),
            std::string::npos);
  EXPECT_NE(usage_error({"--lib", "nopath"}).find("--lib: expected NAME=PATH"), std::string::npos);
  EXPECT_NE(usage_error({"--lib", "x=/no/such/lib.so"}).find("no such file '/no/such/lib.so'"), std::string::npos);
  EXPECT_NE(usage_error({}).find("no allocator to measure"), std::string::npos);
  EXPECT_NE(usage_error({"--glibc", "--frobnicate"}).find("unknown argument '--frobnicate'"), std::string::npos);
  EXPECT_NE(usage_error({"--glibc", "--gate", "--baseline", "glibc", "--candidate", "x"})
                .find("'x' is not one of the measured arms"),
            std::string::npos);
  EXPECT_NE(usage_error({"--glibc", "--repeats"}).find("--repeats: missing value"), std::string::npos);
  try {
    parse_cli({"--glibc"});
    ADD_FAILURE() << "missing --workload accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--workload: required"), std::string::npos);
  }
}

TEST(Cli, ValidCommandLine) {
  auto args = base_args();
  for (const char* a : {"--lib", "w=" APQ_WORKLOAD_PATH, "--glibc", "--arm", "w:MIMALLOC_PURGE_DELAY=0", "--quick",
                        "--gate", "--baseline", "w", "--candidate", "glibc", "--max-rss-margin", "5%"}) {
    args.emplace_back(a);
  }
  const Config c = parse_cli(args);
  ASSERT_EQ(c.arms.size(), 3u);
  EXPECT_EQ(c.arms[0].name, "w");
  EXPECT_EQ(c.arms[1].name, "glibc");
  EXPECT_EQ(c.arms[2].name, "w+MIMALLOC_PURGE_DELAY=0");
  EXPECT_EQ(c.arms[2].library, c.arms[0].library);
  EXPECT_TRUE(c.quick);
  EXPECT_DOUBLE_EQ(c.gate.max_rss_margin, 0.05);
}

// --lib-if-built reads the superbuild's status file: NOT BUILT is left out
// and listed, BUILT is measured, a failed build is an error.
TEST(Cli, LibIfBuiltFollowsTheBuildStatus) {
  const std::string dir = std::string(::testing::TempDir()) + "/apq-status-" + std::to_string(::getpid());
  make_dirs(dir);
  const std::string lib = dir + "/libx.so";
  write_file_atomic(lib, "not really a library\n");
  auto parse = [&](const std::string& status_text, const std::string& path) {
    if (status_text.empty()) {
      std::remove((dir + "/x.status").c_str());
    } else {
      write_file_atomic(dir + "/x.status", status_text);
    }
    auto args = base_args();
    for (const std::string& a : {std::string("--glibc"), std::string("--lib-if-built"), "x=" + path,
                                 std::string("--status-dir"), dir}) {
      args.push_back(a);
    }
    return parse_cli(args);
  };
  const Config skipped = parse("NOT BUILT: x: could not obtain the source (test)\n", dir + "/absent.so");
  ASSERT_EQ(skipped.arms.size(), 1u);
  EXPECT_EQ(skipped.arms[0].name, "glibc");
  ASSERT_EQ(skipped.not_measured.size(), 1u);
  EXPECT_EQ(skipped.not_measured[0].first, "x");
  EXPECT_EQ(skipped.not_measured[0].second, "could not obtain the source (test)");

  const Config built = parse("BUILT: x: " + lib + "\n", lib);
  ASSERT_EQ(built.arms.size(), 2u);
  EXPECT_EQ(built.arms[0].name, "x");
  EXPECT_TRUE(built.not_measured.empty());

  auto refused = [&](const std::string& status_text, const std::string& path) {
    try {
      parse(status_text, path);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(refused("", dir + "/absent.so").find("no build status " + dir + "/x.status"), std::string::npos);
  EXPECT_NE(refused("FAILED: x: configure failed\n", dir + "/absent.so").find("says 'FAILED: x: configure failed'"),
            std::string::npos);
  EXPECT_NE(refused("BUILT: x: gone\n", dir + "/absent.so").find("says BUILT but"), std::string::npos);
  EXPECT_NE(refused("NOT BUILT: x: no source\n", lib).find("says NOT BUILT but"), std::string::npos);
  EXPECT_NE(usage_error({"--glibc", "--lib-if-built", "x=/nowhere.so"}).find("needs --status-dir"), std::string::npos);
}

TEST(Smaps, ParsesRollup) {
  const std::string text =
      "55d0c0a00000-7ffd1b3fe000 ---p 00000000 00:00 0 [rollup]\n"
      "Rss:              146312 kB\nPss:              140000 kB\nAnonymous:        140100 kB\n"
      "LazyFree:            12 kB\nAnonHugePages:      2048 kB\n";
  const auto s = parse_smaps_rollup(text);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->rss_kb, 146312);
  EXPECT_EQ(s->anon_kb, 140100);
  EXPECT_EQ(s->lazyfree_kb, 12);
  EXPECT_EQ(s->anon_huge_kb, 2048);
  EXPECT_FALSE(parse_smaps_rollup("Pss: 1 kB\n").has_value());
}

TEST(Smaps, ReadsOwnProcess) {
  const auto s = read_smaps_rollup(::getpid());
  ASSERT_TRUE(s.has_value());
  EXPECT_GT(s->rss_kb, 0);
  EXPECT_GE(s->rss_kb, s->anon_kb);
}

TEST(Analysis, MedianAndSlope) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median({4, 1, 2, 3}), 2.5);
  EXPECT_TRUE(std::isnan(median({})));
  EXPECT_NEAR(ols_slope({{0, 1}, {1, 3}, {2, 5}}), 2.0, 1e-12);
  EXPECT_TRUE(std::isnan(ols_slope({{1, 1}})));
}

RunRecord synthetic_run(double base_mb, double growth_mb_per_h, int hours) {
  RunRecord r;
  r.arm = "x";
  r.banner = "test";
  for (int h = 0; h < hours; ++h) {
    for (int k = 0; k < 10; ++k) {
      Sample s;
      s.hour = h;
      s.sim_h = h + k / 10.0;
      s.phase = k >= 8 ? "quiet" : "busy";
      const double mb = base_mb + growth_mb_per_h * h + (k < 8 ? 50 : 0);  // bursts while busy
      s.mem.anon_kb = static_cast<int64_t>(mb * 1024);
      s.mem.rss_kb = s.mem.anon_kb + 4096;
      s.live_bytes = static_cast<int64_t>(base_mb / 2 * 1048576);
      s.t_s = h + k / 10.0;
      r.samples.push_back(s);
    }
  }
  r.done = {{"ops", "1000"}, {"busy_s", "2"}, {"peak_live", "1048576"}, {"lag_max_ms", "1"}};
  r.maxrss_kb = 300 * 1024;
  r.cpu_user_s = 1.5;
  r.cpu_sys_s = 0.5;
  r.live_end = 0;
  r.exit = "exit 0";
  return r;
}

TEST(Analysis, SteadyStateAndSlopeUseQuietWindows) {
  const RunMetrics m = compute_metrics(synthetic_run(100, 3, 10));
  EXPECT_EQ(m.cycles, 10);
  // Last 30% = hours 7..9 -> quiet values 121, 124, 127 -> median 124.
  EXPECT_NEAR(m.steady_anon_mb, 124, 0.01);
  EXPECT_NEAR(m.slope_mb_per_h, 3, 1e-6);
  EXPECT_NEAR(m.rss_per_live, 124.0 / 50.0, 1e-3);
  EXPECT_NEAR(m.ops_per_s, 500, 1e-9);
  EXPECT_NEAR(m.cpu_s, 2, 1e-9);
  EXPECT_NEAR(m.peak_rss_mb, 300, 1e-9);
  EXPECT_EQ(m.quiet_samples, 6u);
}

// Grows 10 MB per hour for the first four hours, then stays flat: the slope
// over the last half (hours 5..9) is 0 while the slope over all hours is
// clearly positive, and the steady state is the plateau.
RunRecord grow_then_flat_run() {
  RunRecord r = synthetic_run(100, 0, 10);
  for (auto& s : r.samples) {
    const double mb = 100 + 10.0 * std::min(s.hour, 4) + (s.phase == "busy" ? 50 : 0);
    s.mem.anon_kb = static_cast<int64_t>(mb * 1024);
    s.mem.rss_kb = s.mem.anon_kb + 4096;
  }
  return r;
}

TEST(Analysis, SlopeIsOverTheLastHalfOnly) {
  const RunRecord r = grow_then_flat_run();
  std::vector<std::pair<double, double>> all_hours;
  for (int h = 0; h < 10; ++h) all_hours.emplace_back(h, 100 + 10.0 * std::min(h, 4));
  ASSERT_GT(ols_slope(all_hours), 3.0);  // what a slope over every hour would say
  const RunMetrics m = compute_metrics(r);
  EXPECT_NEAR(m.slope_mb_per_h, 0.0, 1e-9);
  EXPECT_NEAR(m.steady_anon_mb, 140, 1e-6);
  EXPECT_NEAR(m.steady_rss_mb, 144, 1e-6);
}

// Every runs.csv value, found by its header name, is the computed metric.
TEST(Report, RunsCsvColumnsHoldTheirMetrics) {
  Session s;
  Arm arm;
  arm.name = arm.base = "x";
  s.config.arms = {arm};
  s.runs = {grow_then_flat_run()};
  RunRecord& r = s.runs[0];
  for (int h = 0; h < 10; ++h) r.samples[h * 10 + 9].mem.anon_kb += 512 * (h % 3);  // a non-zero slope
  r.repeat = 4;
  r.order = 5;
  r.wall_s = 12.5;
  r.done = {{"ops", "7000"}, {"busy_s", "4"}, {"peak_live", "9437184"}, {"lag_max_ms", "17"},
            {"lag_forgiven_ms", "23"}, {"checksum", "abc123"}, {"cells_dropped", "31"}};
  r.maxrss_kb = 333 * 1024;
  r.cpu_user_s = 6.25;
  r.cpu_sys_s = 1.5;
  r.error = "none here";
  s.metrics = {compute_metrics(r)};
  const RunMetrics& m = s.metrics[0];
  const auto rows = parse_csv(runs_csv(s));
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[0], runs_columns());
  ASSERT_EQ(rows[1].size(), rows[0].size());
  std::map<std::string, std::string> by_name;
  for (size_t i = 0; i < rows[0].size(); ++i) {
    EXPECT_TRUE(by_name.emplace(rows[0][i], rows[1][i]).second) << "column " << rows[0][i] << " appears twice";
  }
  const std::map<std::string, std::string> text = {
      {"arm", "x"}, {"repeat", "4"}, {"order", "5"}, {"banner", "test"}, {"lag_forgiven_ms", "23"},
      {"checksum", "abc123"}, {"cells_dropped", "31"}, {"exit", "exit 0"}, {"error", "none here"}};
  const std::map<std::string, double> numbers = {
      {"cycles", m.cycles},           {"quiet_samples", static_cast<double>(m.quiet_samples)},
      {"steady_anon_mb", m.steady_anon_mb}, {"steady_rss_mb", m.steady_rss_mb},
      {"steady_live_mb", m.steady_live_mb}, {"slope_mb_per_h", m.slope_mb_per_h},
      {"peak_rss_mb", m.peak_rss_mb}, {"peak_live_mb", m.peak_live_mb},
      {"rss_per_live", m.rss_per_live}, {"ops_per_s", m.ops_per_s},
      {"cpu_s", m.cpu_s},             {"lag_max_ms", m.lag_max_ms},
      {"wall_s", r.wall_s}};
  // The values must tell the columns apart (even rounded), or a swap would go unnoticed.
  std::set<std::string> distinct;
  for (const auto& [name, value] : text) distinct.insert(value);
  for (const auto& [name, value] : numbers) {
    ASSERT_FALSE(std::isnan(value)) << name;
    distinct.insert(num(value, 0));
  }
  ASSERT_EQ(distinct.size(), text.size() + numbers.size()) << "synthetic values are not all different";
  for (const auto& [name, value] : text) {
    ASSERT_TRUE(by_name.count(name)) << "runs.csv has no column " << name;
    EXPECT_EQ(by_name[name], value) << "runs.csv column " << name;
  }
  for (const auto& [name, value] : numbers) {
    ASSERT_TRUE(by_name.count(name)) << "runs.csv has no column " << name;
    const std::string& cell = by_name[name];
    const size_t point = cell.find('.');
    const int decimals = point == std::string::npos ? 0 : static_cast<int>(cell.size() - point - 1);
    EXPECT_NEAR(std::stod(cell), value, 0.5 * std::pow(10.0, -decimals) + 1e-9) << "runs.csv column " << name;
  }
}

ArmSummary arm_with(const std::string& name, double steady, double slope) {
  ArmSummary a;
  a.arm = name;
  a.steady_anon_mb = {steady, steady, steady};
  a.slope_mb_per_h = {slope, slope, slope};
  return a;
}

TEST(Gate, PassesWithinMargins) {
  GateSpec g;
  g.max_slope_margin = 1;
  g.max_rss_margin = 0.1;
  EXPECT_TRUE(evaluate_gate(g, arm_with("b", 100, 0.5), arm_with("c", 109, 1.4)).pass);
}

TEST(Gate, FailsOnSlopeOrRss) {
  GateSpec g;
  g.max_slope_margin = 1;
  g.max_rss_margin = 0.1;
  const GateResult slope = evaluate_gate(g, arm_with("b", 100, 0.5), arm_with("c", 100, 1.6));
  EXPECT_FALSE(slope.pass);
  EXPECT_NE(slope.lines[0].find("slope: FAIL"), std::string::npos);
  const GateResult rss = evaluate_gate(g, arm_with("b", 100, 0.5), arm_with("c", 111, 0.5));
  EXPECT_FALSE(rss.pass);
  EXPECT_NE(rss.lines[1].find("steady-state RSS: FAIL"), std::string::npos);
  EXPECT_FALSE(evaluate_gate(g, arm_with("b", 100, NAN), arm_with("c", 100, 0)).pass);
}

TEST(Csv, RoundTripsQuotes) {
  const std::string text = csv_row({"a,b", "say \"hi\"", ""}) + csv_row({"1", "2", "3"});
  const auto rows = parse_csv(text);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a,b", "say \"hi\"", ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "2", "3"}));
}

TEST(Child, EnvironmentReplacesPreloadAndArmKeys) {
  ::setenv("LD_PRELOAD", "/old.so", 1);
  ::setenv("MIMALLOC_PURGE_DELAY", "7", 1);
  const auto env = child_environment("/new.so", {{"MIMALLOC_PURGE_DELAY", "0"}});
  ::unsetenv("LD_PRELOAD");
  ::unsetenv("MIMALLOC_PURGE_DELAY");
  int preload = 0;
  int purge = 0;
  for (const auto& e : env) {
    if (e.rfind("LD_PRELOAD=", 0) == 0) {
      ++preload;
      EXPECT_EQ(e, "LD_PRELOAD=/new.so");
    }
    if (e.rfind("MIMALLOC_PURGE_DELAY=", 0) == 0) {
      ++purge;
      EXPECT_EQ(e, "MIMALLOC_PURGE_DELAY=0");
    }
  }
  EXPECT_EQ(preload, 1);
  EXPECT_EQ(purge, 1);
  for (const auto& e : child_environment("", {})) EXPECT_NE(e.rfind("LD_PRELOAD=", 0), 0u);
}

// A session of one arm "x" with one synthetic run, and its report files.
Session one_arm_session() {
  Session s;
  s.profile = "test";
  Arm arm;
  arm.name = arm.base = "x";
  s.config.arms = {arm};
  s.runs = {synthetic_run(100, 0, 10)};
  s.runs[0].repeat = 1;
  s.metrics = {compute_metrics(s.runs[0])};
  s.summaries = {summarize("x", {&s.runs[0]}, s.metrics)};
  return s;
}

void write_report(const std::string& dir, const Session& s) {
  write_file_atomic(dir + "/samples.csv", samples_csv(s));
  write_file_atomic(dir + "/runs.csv", runs_csv(s));
  write_file_atomic(dir + "/summary.md", summary_markdown(s));
  write_file_atomic(dir + "/chart.svg", "<svg><polyline data-arm=\"x\"/></svg>\n");
}

TEST(Check, AcceptsSaneReportAndRejectsLiveAboveRss) {
  const std::string dir = std::string(::testing::TempDir()) + "/apq-check-" + std::to_string(::getpid());
  make_dirs(dir);
  Session s = one_arm_session();
  auto write_all = [&] { write_report(dir, s); };
  write_all();
  const auto ok = check_report(dir, {"x"}, false);
  EXPECT_TRUE(ok.empty()) << ok.front();

  for (auto& x : s.runs[0].samples) x.live_bytes = (x.mem.anon_kb + 10240) * 1024;
  write_all();
  const auto bad = check_report(dir, {"x"}, false);
  bool found = false;
  for (const auto& p : bad) found = found || p.find("exceed anonymous RSS") != std::string::npos;
  EXPECT_TRUE(found);
  EXPECT_FALSE(check_report(dir, {"x", "missing-arm"}, false).empty());
}

// An emulated run's report says what its figures mean: RSS is meaningful
// under qemu-user, speed is not. A native report lacks the note, so checked
// as emulated it is incomplete; with the emulator recorded it passes.
TEST(Check, EmulatedReportSaysRssMeaningfulSpeedNot) {
  const std::string dir = std::string(::testing::TempDir()) + "/apq-emulated-" + std::to_string(::getpid());
  make_dirs(dir);
  Session s = one_arm_session();
  auto write_all = [&] { write_report(dir, s); };
  write_all();
  const auto native = check_report(dir, {"x"}, false, true);
  bool found = false;
  for (const auto& p : native) found = found || p.find("does not say **RSS is meaningful**") != std::string::npos;
  EXPECT_TRUE(found);

  s.config.emulator = {"/usr/bin/qemu-aarch64-static", "-L", "/"};
  write_all();
  const auto emulated = check_report(dir, {"x"}, false, true);
  EXPECT_TRUE(emulated.empty()) << emulated.front();
  const std::string md = summary_markdown(s);
  EXPECT_NE(md.find("**Speed is not**"), std::string::npos);
}

// The workload's request stream is a function of its options: same seed,
// same checksum; another seed, another checksum. Every block is freed at the end.
std::map<std::string, std::string> run_workload(const std::string& seed) {
  const std::string err = std::string(::testing::TempDir()) + "/apq-workload-" + std::to_string(::getpid());
  RunPlan plan;
  plan.argv = {APQ_WORKLOAD_PATH, "--seed", seed, "--hours", "2", "--time-scale", "100000", "--circuits", "300",
               "--connections", "100", "--consensus-entries", "500", "--microdescs", "500", "--server-descs", "500",
               "--diff-jobs", "6", "--threads", "3", "--diff-array-bytes", "65536-262144",
               "--diff-output-bytes", "10000-100000", "--cells-per-s", "50"};
  plan.timeout_s = 120;
  Arm glibc;
  glibc.name = glibc.base = "glibc";
  const RunRecord r = measure_run(glibc, plan, err);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.live_end, 0);
  return r.done;
}

TEST(Workload, DeterministicFromSeed) {
  const auto a = run_workload("7");
  const auto b = run_workload("7");
  const auto c = run_workload("8");
  ASSERT_TRUE(a.count("checksum"));
  EXPECT_EQ(a.at("checksum"), b.at("checksum"));
  EXPECT_EQ(a.at("ops"), b.at("ops"));
  EXPECT_EQ(a.at("cells_in"), b.at("cells_in"));
  EXPECT_NE(a.at("checksum"), c.at("checksum"));
}

}  // namespace
}  // namespace apq
