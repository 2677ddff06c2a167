// allocpipe-host experiments without a service manager: the assignment, the
// samples file, the report's numbers (recomputed here from first
// principles), merging hosts, invalid samples and the gate's exit status.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "analysis.h"
#include "error.h"
#include "experiment/commands.h"
#include "experiment/experiment.h"
#include "experiment/report.h"
#include "experiment/samples.h"
#include "fs.h"
#include "status.h"

namespace fs = std::filesystem;
using namespace allocpipe::host;
using namespace allocpipe::host::experiment;

namespace {

constexpr double kMB = 1024.0 * 1024.0;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/allocpipe-experiment-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> units(int n) {
  std::vector<std::string> u;
  for (int i = 0; i < n; ++i) u.push_back("tor@relay" + std::to_string(i) + ".service");
  return u;
}

SampleRow row(const std::string& host, const std::string& unit, const std::string& arm, double t, double rss_mb,
              bool valid = true, std::uint32_t pid = 100) {
  SampleRow r;
  r.time = format_time(t);
  r.host = host;
  r.boot_id = "boot-" + host;
  r.unit = unit;
  r.arm = arm;
  r.library = arm == "glibc" ? "glibc" : arm + "-lib";
  r.configured = r.library;
  r.mapped = valid ? r.library : "glibc";
  r.state = "active";
  r.main_pid = pid;
  r.rss_bytes = static_cast<std::uint64_t>(rss_mb * kMB);
  r.anonymous_bytes = static_cast<std::uint64_t>(rss_mb * 0.8 * kMB);
  r.mappings = 200;
  r.uptime_seconds = 10;
  r.valid = valid;
  r.note = valid ? "" : "maps glibc, expected " + r.library;
  return r;
}

constexpr double kT0 = 1796112000;  // 2026-12-01T08:00:00Z
constexpr double kInterval = 60;
constexpr int kRounds = 20;

// Grows 10 MB per round until round 10, flat at base+100 after.
double grow_then_flat(double base, int round) { return base + 10.0 * std::min(round, 10); }

std::vector<SampleRow> synthetic(const std::string& host) {
  std::vector<SampleRow> rows;
  for (int k = 0; k < kRounds; ++k) {
    const double t = kT0 + k * kInterval;
    rows.push_back(row(host, "a1.service", "mi", t, grow_then_flat(100, k)));
    rows.push_back(row(host, "a2.service", "mi", t, grow_then_flat(150, k)));
    rows.push_back(row(host, "a3.service", "mi", t, 300 + 1.0 * k));  // grows 1 MB per minute all along
    rows.push_back(row(host, "g1.service", "glibc", t, 400 + 2.0 * k));
    rows.push_back(row(host, "g2.service", "glibc", t, 500 + 2.0 * k));
  }
  return rows;
}

const ArmResult& arm(const Report& r, const std::string& label) {
  for (const ArmResult& a : r.arms)
    if (a.arm.label == label) return a;
  throw std::runtime_error("no arm " + label);
}

const UnitResult& unit(const Report& r, const std::string& host, const std::string& name) {
  for (const UnitResult& u : r.units)
    if (u.host == host && u.unit == name) return u;
  throw std::runtime_error("no unit " + name);
}

}  // namespace

TEST(ExperimentAssign, BalancedAndDeterministic) {
  for (int n : {2, 3, 7, 10, 31}) {
    for (std::size_t arms : {2u, 3u}) {
      auto u = units(n);
      const auto a = assign_arms(u, arms, 42);
      std::map<std::size_t, int> sizes;
      for (std::size_t x : a) ++sizes[x];
      int lo = n, hi = 0;
      for (std::size_t k = 0; k < arms; ++k) {
        lo = std::min(lo, sizes[k]);
        hi = std::max(hi, sizes[k]);
      }
      EXPECT_LE(hi - lo, 1) << n << " units, " << arms << " arms";
      // Same seed, units in another order: the same assignment.
      auto v = units(n);
      std::reverse(v.begin(), v.end());
      EXPECT_EQ(assign_arms(v, arms, 42), a);
      EXPECT_EQ(v, u);
    }
  }
  auto u = units(30);
  const auto a = assign_arms(u, 3, 1);
  const auto b = assign_arms(u, 3, 2);
  EXPECT_NE(a, b) << "the seed must matter";
  // Pinned: the same seed gives the same split on every platform (splitmix64, own shuffle).
  auto p = units(6);
  EXPECT_EQ(assign_arms(p, 2, 7), assign_arms(p, 2, 7));
}

TEST(ExperimentArgs, ArmsDurationsNames) {
  EXPECT_EQ(parse_arm("mi=mimalloc-2.0.9").library_id, "mimalloc-2.0.9");
  EXPECT_TRUE(parse_arm("base=glibc").glibc());
  EXPECT_THROW(parse_arm("nolabel"), UsageError);
  EXPECT_THROW(parse_arm("=x"), UsageError);
  EXPECT_THROW(parse_arm("a b=x"), UsageError);
  EXPECT_EQ(parse_duration("5s", "--interval"), 5u);
  EXPECT_EQ(parse_duration("5min", "--interval"), 300u);
  EXPECT_EQ(parse_duration("2h", "--interval"), 7200u);
  EXPECT_EQ(parse_duration("1d", "--interval"), 86400u);
  EXPECT_EQ(parse_duration("30", "--interval"), 30u);
  EXPECT_THROW(parse_duration("0s", "--interval"), UsageError);
  EXPECT_THROW(parse_duration("5 min", "--interval"), UsageError);
  EXPECT_THROW(parse_duration("fast", "--interval"), UsageError);
  EXPECT_THROW(check_name("a/b"), UsageError);
  EXPECT_THROW(check_name(""), UsageError);
  EXPECT_NO_THROW(check_name("mimalloc-vs-glibc_2"));
  std::vector<std::string> argv = {"experiment", "start", "x", "--arm", "a=glibc", "--arm", "b=lib", "tor@*",
                                   "--interval", "5s", "--seed", "9", "--wave", "2"};
  const ExperimentOptions o = take_experiment_options(argv);
  EXPECT_EQ(o.arms.size(), 2u);
  EXPECT_EQ(o.interval_seconds, 5u);
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(argv, (std::vector<std::string>{"experiment", "start", "x", "tor@*", "--wave", "2"}));
  std::vector<std::string> twice = {"--seed", "1", "--seed", "2"};
  EXPECT_THROW(take_experiment_options(twice), UsageError);
}

TEST(ExperimentRecord, JsonRoundTripAndAtomicStore) {
  TempDir dir;
  ExperimentStore store(dir.path, "exp1");
  EXPECT_FALSE(store.exists());
  EXPECT_THROW(store.load(), UsageError);
  Experiment e;
  e.name = "exp1";
  e.host = "h";
  e.created = "2026-12-01T00:00:00Z";
  e.seed = 5;
  e.interval_seconds = 60;
  e.patterns = {"tor@*"};
  e.arms = {{"mi", "mimalloc-2.0.9"}, {"base", ""}};
  e.units.push_back({"tor@a.service", "mi", "enrolled", "", "active", std::string("[Service]\n")});
  e.units.push_back({"tor@b.service", "base", "left-out", "failed: boom", "inactive", std::nullopt});
  e.journals = {"20261201T000000Z-1"};
  store.save(e);
  const Experiment back = store.load();
  EXPECT_EQ(back.to_json().dump(), e.to_json().dump());
  EXPECT_EQ(back.units[0].previous_drop_in, std::optional<std::string>("[Service]\n"));
  EXPECT_FALSE(back.units[1].previous_drop_in);
  EXPECT_TRUE(back.arm("base")->glibc());
  for (const auto& entry : fs::directory_iterator(store.dir()))
    EXPECT_EQ(entry.path().filename(), "experiment.json") << "a temporary file was left: " << entry.path();
}

TEST(ExperimentSamples, AppendWritesHeaderOnceAndParsesBack) {
  TempDir dir;
  const fs::path p = dir.path / "samples.csv";
  std::vector<SampleRow> a = {row("h", "u1.service", "mi", kT0, 10), row("h", "u2.service", "glibc", kT0, 20, false)};
  a[1].note = "note with, a comma and \"quotes\"";
  a[1].rss_bytes.reset();
  append_samples(p, a);
  append_samples(p, {row("h", "u1.service", "mi", kT0 + 60, 11)});
  const std::string text = read_file(p);
  EXPECT_EQ(text.find("time,host,boot_id"), 0u);
  EXPECT_EQ(text.find("time,host,boot_id", 1), std::string::npos) << "header written twice";
  const auto rows = parse_samples(text, p.string());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(sample_line(rows[0]), sample_line(a[0]));
  EXPECT_EQ(rows[1].note, a[1].note);
  EXPECT_FALSE(rows[1].rss_bytes);
  EXPECT_FALSE(rows[1].valid);
  EXPECT_DOUBLE_EQ(rows[2].epoch(), kT0 + 60);
  // A torn last line (crash mid-write) is ignored; a malformed full line is an error naming the line.
  EXPECT_EQ(parse_samples(text + "2026-12-01T00:03:00Z,h,b,u1", "x").size(), 3u);
  try {
    parse_samples(text + "2026-12-01T00:03:00Z,h\n", "samples.csv");
    FAIL() << "a short line must be refused";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("samples.csv line 5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_samples("a,b\n1,2\n", "x"), UsageError);
}

TEST(ExperimentReport, SteadyStateAndLastHalfSlopeAsQualifyDefinesThem) {
  const Report r = compute_report("t", synthetic("h1"), {{"mi", "mi-lib"}, {"glibc", ""}}, kInterval);
  EXPECT_EQ(r.cycles, kRounds);
  // Steady state: the last 30% of 20 rounds = rounds 14..19; slope: rounds 10..19.
  const UnitResult& a1 = unit(r, "h1", "a1.service");
  EXPECT_NEAR(a1.steady_rss_mb, 200, 1e-6);
  EXPECT_NEAR(a1.slope_mb_per_day, 0, 1e-6) << "flat over the last half";
  std::vector<std::pair<double, double>> all;
  for (int k = 0; k < kRounds; ++k) all.emplace_back(k * kInterval / 86400.0, grow_then_flat(100, k));
  EXPECT_GT(apq::ols_slope(all), 1000) << "the all-data slope is not the last-half slope";
  const UnitResult& a3 = unit(r, "h1", "a3.service");
  EXPECT_NEAR(a3.steady_rss_mb, 316.5, 1e-6);  // median of 314..319
  EXPECT_NEAR(a3.slope_mb_per_day, 1440, 1e-6);                // 1 MB a minute
  // The arm: median and IQR (type 7) across its three units.
  const ArmResult& mi = arm(r, "mi");
  EXPECT_EQ(mi.units, 3u);
  EXPECT_EQ(mi.measured, 3u);
  EXPECT_NEAR(mi.rss_median, 250, 1e-6);        // 200, 250, 316.5
  EXPECT_NEAR(mi.rss_q1, 225, 1e-6);
  EXPECT_NEAR(mi.rss_q3, 283.25, 1e-6);
  EXPECT_NEAR(mi.slope_median, 0, 1e-6);
  EXPECT_NEAR(mi.slope_q3, 720, 1e-6);
  const ArmResult& g = arm(r, "glibc");
  EXPECT_NEAR(g.slope_median, 2880, 1e-6);
  EXPECT_NEAR(g.rss_median, (433 + 533) / 2.0, 1e-6);  // units at 433 and 533 (medians of 428..438, 528..538)
  EXPECT_EQ(g.restarts, 0u);
  EXPECT_EQ(mi.invalid, 0u);
  // The shared definition itself, as allocpipe-qualify applies it per simulated hour.
  EXPECT_EQ(apq::steady_window_start(20), 14);
  EXPECT_EQ(apq::slope_window_start(20), 10);
  EXPECT_EQ(apq::steady_window_start(3), 2);
  EXPECT_EQ(apq::slope_window_start(3), 1);
}

TEST(ExperimentReport, InvalidSamplesAreCountedNotUsed) {
  auto rows = synthetic("h1");
  // a1 maps the wrong library in the steady window, with a huge RSS: not used.
  for (int k = 15; k < 18; ++k) rows.push_back(row("h1", "a1.service", "mi", kT0 + k * kInterval + 1, 5000, false));
  const Report r = compute_report("t", rows, {{"mi", "mi-lib"}, {"glibc", ""}}, kInterval);
  const UnitResult& a1 = unit(r, "h1", "a1.service");
  EXPECT_EQ(a1.invalid, 3u);
  EXPECT_NEAR(a1.steady_rss_mb, 200, 1e-6);
  EXPECT_EQ(arm(r, "mi").invalid, 3u);
  EXPECT_NE(report_markdown(r, {}).find("3 of 23 samples invalid"), std::string::npos) << report_markdown(r, {});
  // A unit with only invalid samples is not measured and not in the arm's figures.
  std::vector<SampleRow> only_bad;
  for (int k = 0; k < kRounds; ++k) {
    only_bad.push_back(row("h1", "a1.service", "mi", kT0 + k * kInterval, 100));
    only_bad.push_back(row("h1", "bad.service", "mi", kT0 + k * kInterval, 9000, false));
  }
  const Report r2 = compute_report("t", only_bad, {{"mi", "mi-lib"}}, kInterval);
  EXPECT_EQ(arm(r2, "mi").units, 2u);
  EXPECT_EQ(arm(r2, "mi").measured, 1u);
  EXPECT_NEAR(arm(r2, "mi").rss_median, 100, 1e-6);
  EXPECT_TRUE(std::isnan(unit(r2, "h1", "bad.service").steady_rss_mb));
}

TEST(ExperimentReport, RestartsRebootsVanishedAppeared) {
  std::vector<SampleRow> rows;
  for (int k = 0; k < kRounds; ++k) {
    SampleRow r = row("h1", "a1.service", "mi", kT0 + k * kInterval, 100, true, k < 5 ? 100 : k < 12 ? 200 : 300);
    if (k >= 12) r.boot_id = "second-boot";
    rows.push_back(r);
    if (k < 8) rows.push_back(row("h1", "gone.service", "mi", kT0 + k * kInterval, 100));
  }
  SampleRow gone = row("h1", "gone.service", "mi", kT0 + 8 * kInterval, 0, false, 0);
  gone.state = "not-found";
  gone.rss_bytes.reset();
  rows.push_back(gone);
  SampleRow extra = row("h1", "new.service", "", kT0 + 10 * kInterval, 50, false);
  rows.push_back(extra);
  const Report r = compute_report("t", rows, {{"mi", "mi-lib"}}, kInterval);
  const UnitResult& a1 = unit(r, "h1", "a1.service");
  EXPECT_EQ(a1.restarts, 1u) << "pid 100 -> 200 in one boot";
  EXPECT_EQ(a1.reboots, 1u) << "the boot id changed once (pid 300 after it is not a restart)";
  EXPECT_TRUE(unit(r, "h1", "gone.service").vanished);
  EXPECT_EQ(arm(r, "mi").vanished, 1u);
  ASSERT_EQ(r.appeared.size(), 1u);
  EXPECT_EQ(r.appeared[0], "h1/new.service");
  const std::string md = report_markdown(r, {});
  EXPECT_NE(md.find("h1/new.service"), std::string::npos);
  EXPECT_NE(md.find("vanished"), std::string::npos);
}

TEST(ExperimentReport, MergesHostsAsSeparateUnits) {
  TempDir dir;
  auto h2 = synthetic("h2");
  for (SampleRow& s : h2) s.time = format_time(s.epoch() + 30);  // another host, sampling half a round later
  append_samples(dir.path / "h1.csv", synthetic("h1"));
  append_samples(dir.path / "h2.csv", h2);
  auto rows = parse_samples(read_file(dir.path / "h1.csv"), "h1.csv");
  const auto more = parse_samples(read_file(dir.path / "h2.csv"), "h2.csv");
  rows.insert(rows.end(), more.begin(), more.end());
  const Report r = compute_report("t", rows, {{"mi", "mi-lib"}, {"glibc", ""}}, kInterval);
  EXPECT_EQ(r.hosts, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(arm(r, "mi").units, 6u) << "the same unit name on two hosts is two units";
  EXPECT_EQ(arm(r, "glibc").units, 4u);
  // h2's rounds are h1's plus one (30 s later rounds up), so its a3 steady
  // window holds 313..319: units 200, 200, 250, 250, 316, 316.5.
  EXPECT_EQ(r.cycles, kRounds + 1);
  EXPECT_NEAR(unit(r, "h2", "a3.service").steady_rss_mb, 316, 1e-6);
  EXPECT_NEAR(arm(r, "mi").rss_median, 250, 1e-6);
  EXPECT_NEAR(arm(r, "mi").rss_q1, 212.5, 1e-6);
  const std::string csv = units_csv(r);
  EXPECT_NE(csv.find("h2,a3.service,mi"), std::string::npos);
}

TEST(ExperimentSample, ValidOnlyWhenItMapsItsArmsLibrary) {
  UnitStatus s;
  s.unit = "tor@a.service";
  s.active_state = "active";
  s.main_pid = 10;
  s.rss_bytes = 100;
  s.anonymous_bytes = 80;
  s.map_count = 50;
  const Arm glibc{"base", ""}, mi{"mi", "mimalloc-2.0.9"};
  EXPECT_TRUE(sample_of(s, &glibc, "t", "h", "b").valid);
  EXPECT_FALSE(sample_of(s, &mi, "t", "h", "b").valid);
  s.mapped_id = "mimalloc-2.0.9";
  s.mapped_library = "/usr/local/lib/mimalloc/libmimalloc-2.0.9.so";
  s.configured = {s.mapped_library};
  s.configured_id = s.mapped_id;
  EXPECT_TRUE(sample_of(s, &mi, "t", "h", "b").valid);
  EXPECT_EQ(sample_of(s, &mi, "t", "h", "b").mapped, "mimalloc-2.0.9");
  EXPECT_FALSE(sample_of(s, &glibc, "t", "h", "b").valid);
  s.mapped_deleted = true;  // the library was removed under the running service
  const SampleRow deleted = sample_of(s, &mi, "t", "h", "b");
  EXPECT_FALSE(deleted.valid);
  EXPECT_NE(deleted.note.find("deleted"), std::string::npos);
  s.mapped_deleted = false;
  s.main_pid = 0;
  s.active_state = "failed";
  EXPECT_FALSE(sample_of(s, &mi, "t", "h", "b").valid);
  EXPECT_FALSE(sample_of(s, nullptr, "t", "h", "b").valid);
}

// The gate through the command, as an operator runs it: merged sample files,
// allocpipe-qualify's margins and exit status (0 pass, 1 fail, 2 bad input).
TEST(ExperimentGate, ExitStatusLikeQualify) {
  TempDir dir;
  append_samples(dir.path / "h1.csv", synthetic("h1"));
  Reporter out(true);
  HostPaths paths;
  paths.state_dir = dir.path / "state";
  auto report = [&](const std::string& baseline, const std::string& candidate) {
    std::vector<std::string> argv = {"--merge", (dir.path / "h1.csv").string(), "--out", (dir.path / "out").string(), "--gate",
                                     "--baseline", baseline, "--candidate", candidate};
    const ExperimentOptions o = take_experiment_options(argv);
    return cmd_experiment(paths, {}, {"report", "t"}, o, out);
  };
  // glibc grows 2880 MB/day = 120 MB/h: far beyond the 3 MB/h margin over mi's median of 0.
  EXPECT_EQ(report("mi", "glibc"), exit_failed);
  // mi against glibc: lower RSS and slower growth: passes.
  EXPECT_EQ(report("glibc", "mi"), exit_ok);
  for (const char* f : {"report.md", "arms.csv", "units.csv", "chart.svg", "chart.png"})
    EXPECT_TRUE(fs::exists(dir.path / "out" / f)) << f;
  EXPECT_THROW(report("mi", "nosuch"), UsageError);
  std::vector<std::string> no_candidate = {"--gate", "--baseline", "mi"};
  const ExperimentOptions o = take_experiment_options(no_candidate);
  EXPECT_THROW(cmd_experiment(paths, {}, {"report", "t"}, o, out), UsageError);
}
