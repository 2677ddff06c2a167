#include "analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>

namespace apq {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMB = 1024.0 * 1024.0;
constexpr double kKBtoMB = 1.0 / 1024.0;

double field(const RunRecord& r, const char* key) {
  const auto it = r.done.find(key);
  return it == r.done.end() ? kNaN : std::strtod(it->second.c_str(), nullptr);
}
}  // namespace

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double ols_slope(const std::vector<std::pair<double, double>>& xy) {
  if (xy.size() < 2) return kNaN;
  double mx = 0;
  double my = 0;
  for (const auto& [x, y] : xy) {
    mx += x;
    my += y;
  }
  mx /= static_cast<double>(xy.size());
  my /= static_cast<double>(xy.size());
  double sxx = 0;
  double sxy = 0;
  for (const auto& [x, y] : xy) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  return sxx == 0 ? kNaN : sxy / sxx;
}

Spread spread(const std::vector<double>& v) {
  Spread s{kNaN, kNaN, kNaN};
  for (double x : v) {
    if (std::isnan(x)) continue;
    s.min = std::isnan(s.min) ? x : std::min(s.min, x);
    s.max = std::isnan(s.max) ? x : std::max(s.max, x);
  }
  s.median = median(v);
  return s;
}

int steady_window_start(int cycles) { return cycles - std::max(1, static_cast<int>(std::ceil(cycles * 0.3))); }
int slope_window_start(int cycles) { return cycles - std::max(2, cycles / 2); }

SteadyState steady_state(const std::vector<CycleValue>& values, int cycles) {
  const int steady_from = steady_window_start(cycles);
  const int slope_from = slope_window_start(cycles);
  std::vector<double> steady;
  std::map<int, std::pair<std::vector<double>, std::vector<double>>> per_cycle;  // xs, values
  for (const CycleValue& v : values) {
    if (v.cycle >= steady_from) steady.push_back(v.value);
    if (v.cycle >= slope_from) {
      per_cycle[v.cycle].first.push_back(v.x);
      per_cycle[v.cycle].second.push_back(v.value);
    }
  }
  std::vector<std::pair<double, double>> xy;
  for (const auto& [cycle, c] : per_cycle) xy.emplace_back(median(c.first), median(c.second));
  SteadyState s;
  s.samples = steady.size();
  s.level = median(steady);
  s.slope = ols_slope(xy);
  return s;
}

double quantile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return kNaN;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

RunMetrics compute_metrics(const RunRecord& run) {
  RunMetrics m;
  int max_hour = -1;
  double sampled_peak_kb = 0;
  for (const auto& s : run.samples) {
    if (s.phase == "busy" || s.phase == "quiet") max_hour = std::max(max_hour, s.hour);
    sampled_peak_kb = std::max(sampled_peak_kb, static_cast<double>(s.mem.rss_kb));
  }
  m.cycles = max_hour + 1;
  // Quiet-window samples only; cycle = simulated hour (see steady_state).
  std::vector<CycleValue> anon, rss, live, maps;
  m.peak_maps = kNaN;
  for (const auto& s : run.samples) {
    if (s.maps >= 0) m.peak_maps = std::isnan(m.peak_maps) ? s.maps : std::max<double>(m.peak_maps, s.maps);
  }
  for (const auto& s : run.samples) {
    if (s.phase != "quiet") continue;
    const double h = static_cast<double>(s.hour);
    anon.push_back({s.hour, h, s.mem.anon_kb * kKBtoMB});
    rss.push_back({s.hour, h, s.mem.rss_kb * kKBtoMB});
    live.push_back({s.hour, h, s.live_bytes / kMB});
    if (s.maps >= 0) maps.push_back({s.hour, h, static_cast<double>(s.maps)});
  }
  const SteadyState a = steady_state(anon, m.cycles);
  m.quiet_samples = a.samples;
  m.steady_anon_mb = a.level;
  m.steady_rss_mb = steady_state(rss, m.cycles).level;
  m.steady_live_mb = steady_state(live, m.cycles).level;
  m.slope_mb_per_h = a.slope;
  m.steady_maps = steady_state(maps, m.cycles).level;
  m.maps_per_gb = m.steady_rss_mb > 0 ? m.steady_maps / (m.steady_rss_mb / 1024.0) : kNaN;
  m.peak_rss_mb = std::max(static_cast<double>(run.maxrss_kb), sampled_peak_kb) * kKBtoMB;
  m.peak_live_mb = field(run, "peak_live") / kMB;
  m.rss_per_live = m.steady_live_mb > 0 ? m.steady_anon_mb / m.steady_live_mb : kNaN;
  const double busy = field(run, "busy_s");
  m.ops_per_s = busy > 0 ? field(run, "ops") / busy : kNaN;
  m.cpu_s = run.cpu_user_s + run.cpu_sys_s;
  m.lag_max_ms = field(run, "lag_max_ms");
  return m;
}

ArmSummary summarize(const std::string& arm, const std::vector<const RunRecord*>& runs,
                     const std::vector<RunMetrics>& metrics) {
  ArmSummary s;
  s.arm = arm;
  s.runs = static_cast<int>(runs.size());
  if (!runs.empty()) s.banner = runs.front()->banner;
  auto col = [&](double RunMetrics::*f) {
    std::vector<double> v;
    for (const auto& m : metrics) v.push_back(m.*f);
    return spread(v);
  };
  s.steady_anon_mb = col(&RunMetrics::steady_anon_mb);
  s.slope_mb_per_h = col(&RunMetrics::slope_mb_per_h);
  s.peak_rss_mb = col(&RunMetrics::peak_rss_mb);
  s.rss_per_live = col(&RunMetrics::rss_per_live);
  s.ops_per_s = col(&RunMetrics::ops_per_s);
  s.cpu_s = col(&RunMetrics::cpu_s);
  s.steady_live_mb = col(&RunMetrics::steady_live_mb);
  s.peak_maps = col(&RunMetrics::peak_maps);
  s.maps_per_gb = col(&RunMetrics::maps_per_gb);
  return s;
}

}  // namespace apq
