#include "report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "csv.h"
#include "fleet.h"

namespace apq {

const std::vector<std::string>& samples_columns() {
  static const std::vector<std::string> c = {"arm",    "repeat",      "order",        "t_s",
                                             "sim_h",  "hour",        "phase",        "rss_kb",
                                             "anon_kb", "lazyfree_kb", "anon_huge_kb", "live_bytes",
                                             "ops",    "maps"};
  return c;
}

const std::vector<std::string>& runs_columns() {
  static const std::vector<std::string> c = {
      "arm",          "repeat",       "order",          "banner",         "cycles",
      "quiet_samples", "steady_anon_mb", "steady_rss_mb", "steady_live_mb", "slope_mb_per_h",
      "peak_rss_mb",  "peak_live_mb", "rss_per_live",   "ops_per_s",      "cpu_s",
      "lag_max_ms",   "lag_forgiven_ms", "wall_s",       "checksum",       "cells_dropped",  "exit",
      "error",        "peak_maps",    "maps_per_gb_rss", "dircache"};
  return c;
}

std::string samples_csv(const Session& s) {
  std::string out = csv_row(samples_columns());
  for (const auto& r : s.runs) {
    for (const auto& x : r.samples) {
      out += csv_row({r.arm, std::to_string(r.repeat), std::to_string(r.order), num(x.t_s, 3), num(x.sim_h, 4),
                      std::to_string(x.hour), x.phase, std::to_string(x.mem.rss_kb), std::to_string(x.mem.anon_kb),
                      std::to_string(x.mem.lazyfree_kb), std::to_string(x.mem.anon_huge_kb),
                      std::to_string(x.live_bytes), std::to_string(x.ops), std::to_string(x.maps)});
    }
  }
  return out;
}

std::string runs_csv(const Session& s) {
  std::string out = csv_row(runs_columns());
  for (size_t i = 0; i < s.runs.size(); ++i) {
    const RunRecord& r = s.runs[i];
    const RunMetrics& m = s.metrics[i];
    auto done = [&](const char* k) { return r.done.count(k) ? r.done.at(k) : std::string(); };
    out += csv_row({r.arm, std::to_string(r.repeat), std::to_string(r.order), r.banner, std::to_string(m.cycles),
                    std::to_string(m.quiet_samples), num(m.steady_anon_mb, 2), num(m.steady_rss_mb, 2),
                    num(m.steady_live_mb, 2), num(m.slope_mb_per_h, 3), num(m.peak_rss_mb, 2),
                    num(m.peak_live_mb, 2), num(m.rss_per_live, 3), num(m.ops_per_s, 0), num(m.cpu_s, 2),
                    num(m.lag_max_ms, 1), done("lag_forgiven_ms"), num(r.wall_s, 2), done("checksum"), done("cells_dropped"), r.exit,
                    r.error, num(m.peak_maps, 0), num(m.maps_per_gb, 0),
                    r.config.count("dircache") ? r.config.at("dircache") : std::string()});
  }
  return out;
}

namespace {

std::string cell(const Spread& s, int decimals, int runs) {
  if (std::isnan(s.median)) return "n/a";
  if (runs <= 1 || s.min == s.max) return num(s.median, decimals);
  return num(s.median, decimals) + " (" + num(s.min, decimals) + "–" + num(s.max, decimals) + ")";
}

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

std::vector<ArmPoint> arm_points(const Session& s) {
  std::vector<ArmPoint> out;
  for (const auto& a : s.summaries) {
    ArmPoint p;
    p.arm = a.arm;
    p.banner = a.banner;
    p.steady_mb = a.steady_anon_mb.median;
    p.min_mb = a.steady_anon_mb.min;
    p.max_mb = a.steady_anon_mb.max;
    p.runs = a.runs;
    for (const auto& arm : s.config.arms) {
      if (arm.name == a.arm && !arm.env.empty()) p.plain = false;
    }
    if (hardened(a.arm, a.banner)) p.plain = false;
    out.push_back(p);
  }
  return out;
}

std::vector<std::string> mapping_warnings(const Session& s) {
  std::vector<std::string> w;
  if (s.max_map_count <= 0) return w;
  const double limit = static_cast<double>(s.max_map_count) * (1.0 - s.config.map_margin);
  for (const auto& a : s.summaries) {
    const double projected = a.maps_per_gb.max * s.config.fleet_rss_gb;
    if (!std::isnan(projected) && projected >= limit) {
      w.push_back("arm " + a.arm + ": " + num(a.maps_per_gb.max, 0) + " mappings per GB of RSS, extrapolated to " +
                  num(s.config.fleet_rss_gb, 2) + " GB = " + num(projected, 0) + " mappings, within " +
                  num(s.config.map_margin * 100, 0) + "% of vm.max_map_count " + std::to_string(s.max_map_count));
    }
  }
  return w;
}

std::vector<std::string> comparison_lines(const Session& s) {
  std::vector<std::string> out;
  const auto points = arm_points(s);
  const FleetAgreement fa = fleet_agreement(points);
  std::string present, missing;
  for (const auto& c : fa.present) present += (present.empty() ? "" : ", ") + c;
  for (const auto& c : fa.missing) missing += (missing.empty() ? "" : ", ") + c;
  out.push_back("rank agreement with the fleet (Spearman's rho, steady anon RSS vs the fleet's mimalloc 2.0.9 < 2.1.7 "
                "< jemalloc 5.3.0 < glibc < mimalloc 3.0.1): " +
                (std::isnan(fa.rho) ? std::string("not computable") : num(fa.rho, 2)) + " over " +
                std::to_string(fa.arms.size()) + " arms; classes present: " + (present.empty() ? "none" : present) +
                "; missing: " + (missing.empty() ? "none" : missing));
  if (!fa.measured_order.empty()) out.push_back("measured order (MB): " + fa.measured_order);
  for (const auto& g : same_version_groups(points)) {
    std::string arms;
    for (const auto* p : g.arms) {
      arms += (arms.empty() ? "" : ", ") + p->arm + " " + num(p->steady_mb, 1) + " MB";
      if (p->runs > 1) arms += " (" + num(p->min_mb, 1) + "–" + num(p->max_mb, 1) + ")";
    }
    out.push_back(g.key + " builds: " + arms + ": difference " + num(g.difference_mb, 1) + " MB, noise (largest " +
                  "repeat spread of one arm) " + num(g.noise_mb, 1) + " MB: " + g.verdict);
  }
  return out;
}

std::string summary_markdown(const Session& s) {
  std::ostringstream md;
  md << "# Allocator qualification" << (s.config.title.empty() ? "" : ": " + md_escape(s.config.title)) << "\n\n";
  md << "Profile **" << s.profile << "**, " << s.runs.size() << " runs, repeats interleaved. "
     << "Workload: `" << md_escape([&] {
          std::string a;
          const size_t first = s.config.emulator.size() + 1;  // after the emulator and the workload path
          for (size_t i = first; i < s.workload_argv.size(); ++i) a += (i > first ? " " : "") + s.workload_argv[i];
          return a.empty() ? std::string("(defaults)") : a;
        }()) << "`\n\n";

  if (!s.config.emulator.empty()) {
    md << "> **Under user-mode emulation** (`" << md_escape(s.config.emulator[0]) << "`): the workload and the "
          "libraries are built for another architecture and every run is emulated. " << kEmulatedRssMeaningful << ": the "
          "allocator's own code manages the guest's memory, the kernel counts its pages as on real hardware (same "
          "page size as this host), and every arm, glibc too, carries the emulator's own memory (its code cache), so "
          "compare arms with each other, not with native runs. " << kEmulatedSpeedNot << ": ops/s and CPU seconds measure the emulator's "
          "translation, not the allocator on real hardware; do not read them.\n\n";
  }
  if (s.profile == "quick") {
    md << "> Quick profile: a sanity check of the pipeline. Six simulated hours are mostly warm-up; do not read "
          "allocator rankings or gate on slopes from it.\n\n";
  }
  md << "## Results\n\n"
        "Median over repeats, (min–max) when they differ. Steady state: median anonymous RSS over the quiet "
        "windows of the last 30% of simulated hours. Slope: least-squares growth of the per-hour quiet median "
        "over the last half. RSS/live: steady anonymous RSS over the workload's own live bytes. ops/s: allocator "
        "calls per second of main-loop work.\n\n";
  md << "| arm | runs | steady anon RSS (MB) | vs smallest | slope (MB/sim-h) | peak RSS (MB) | RSS/live | ops/s | "
        "CPU (s) |\n";
  md << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  double best = NAN;
  for (const auto& a : s.summaries) {
    if (!std::isnan(a.steady_anon_mb.median) && (std::isnan(best) || a.steady_anon_mb.median < best)) {
      best = a.steady_anon_mb.median;
    }
  }
  for (const auto& a : s.summaries) {
    const double rel = best > 0 ? a.steady_anon_mb.median / best : NAN;
    md << "| " << md_escape(a.arm) << " | " << a.runs << " | " << cell(a.steady_anon_mb, 1, a.runs) << " | "
       << (std::isnan(rel) ? "n/a" : num(rel, 2) + "×") << " | " << cell(a.slope_mb_per_h, 2, a.runs) << " | "
       << cell(a.peak_rss_mb, 1, a.runs) << " | " << cell(a.rss_per_live, 2, a.runs) << " | "
       << cell(a.ops_per_s, 0, a.runs) << " | " << cell(a.cpu_s, 1, a.runs) << " |\n";
  }
  md << "\n![RSS over simulated time](chart.svg)\n\n";

  md << "## Agreement with the fleet\n\n"
        "Over the plain arms (no extra environment, not a hardened build) whose allocator answers a version the "
        "fleet measured; arms of the same version share the fleet rank (ties). Same-version builds agree within "
        "noise when their medians differ by no more than the largest min–max spread of one of them over its "
        "repeats.\n\n";
  for (const auto& l : comparison_lines(s)) md << "- " << md_escape(l) << "\n";
  md << "\n";

  md << "## Memory mappings\n\n"
        "Lines of `/proc/PID/maps`, sampled with the other figures. Mappings per GB: median over the steady-state "
        "samples divided by their median Rss (it includes the fixed mappings of the program and its libraries, "
        "so it overstates small processes). Extrapolated to "
     << num(s.config.fleet_rss_gb, 2) << " GB per process (`--fleet-rss-gb`); host vm.max_map_count "
     << (s.max_map_count > 0 ? std::to_string(s.max_map_count) : std::string("unreadable")) << ".\n\n";
  md << "| arm | peak mappings | mappings per GB RSS | at " << num(s.config.fleet_rss_gb, 2)
     << " GB | share of vm.max_map_count |\n|---|---:|---:|---:|---:|\n";
  for (const auto& a : s.summaries) {
    const double projected = a.maps_per_gb.median * s.config.fleet_rss_gb;
    md << "| " << md_escape(a.arm) << " | " << cell(a.peak_maps, 0, a.runs) << " | " << cell(a.maps_per_gb, 0, a.runs)
       << " | " << (std::isnan(projected) ? "n/a" : num(projected, 0)) << " | "
       << (s.max_map_count > 0 && !std::isnan(projected) ? num(100.0 * projected / s.max_map_count, 1) + "%" : "n/a")
       << " |\n";
  }
  const auto warnings = mapping_warnings(s);
  md << "\n";
  for (const auto& w : warnings) md << "> **Warning:** " << md_escape(w) << "\n\n";
  if (warnings.empty()) {
    md << "No arm comes within " << num(s.config.map_margin * 100, 0) << "% of vm.max_map_count at "
       << num(s.config.fleet_rss_gb, 2) << " GB (`--map-count-margin`).\n\n";
  }

  if (!s.debian.empty()) {
    md << "## Debian binaries\n\n";
    for (const auto& d : s.debian) {
      md << "### " << md_escape(d.name) << " (`" << md_escape(d.request) << "`)\n\n";
      for (const auto& f : d.facts) md << "- " << md_escape(f) << "\n";
      if (!d.not_measurable.empty()) md << "- **not measurable here:** " << md_escape(d.not_measurable) << "\n";
      md << "\n";
    }
  }
  if (!s.not_measured.empty() || !s.config.not_measured.empty()) {
    md << "## Not measured\n\n";
    for (const auto& [name, reason] : s.config.not_measured) {
      md << "- " << md_escape(name) << ": not built here: " << md_escape(reason) << "\n";
    }
    for (const auto& n : s.not_measured) md << "- " << md_escape(n) << "\n";
    md << "\n";
  }

  if (s.gated) {
    md << "## Regression gate: " << (s.gate.pass ? "PASS" : "FAIL") << "\n\n";
    for (const auto& l : s.gate.lines) md << "- " << md_escape(l) << "\n";
    md << "\n";
  }

  bool errors = false;
  for (const auto& r : s.runs) errors = errors || !r.error.empty();
  if (errors) {
    md << "## Failed runs\n\n";
    for (const auto& r : s.runs) {
      if (!r.error.empty()) md << "- " << md_escape(r.arm) << " #" << r.repeat << ": " << md_escape(r.error) << "\n";
    }
    md << "\n";
  }

  md << "## Arms\n\n| arm | allocator (its own banner) | LD_PRELOAD | environment |\n|---|---|---|---|\n";
  for (const auto& arm : s.config.arms) {
    std::string banner = "n/a";
    for (const auto& a : s.summaries) {
      if (a.arm == arm.name) banner = a.banner;
    }
    std::string env;
    for (const auto& [k, v] : arm.env) env += (env.empty() ? "" : " ") + ("`" + k + "=" + v + "`");
    md << "| " << md_escape(arm.name) << " | " << md_escape(banner) << " | "
       << (arm.library.empty() ? "(none: glibc)" : "`" + md_escape(arm.library) + "`") << " | "
       << (env.empty() ? "" : md_escape(env)) << " |\n";
  }
  md << "\n## Machine\n\n| | |\n|---|---|\n";
  for (const auto& [k, v] : s.system) md << "| " << md_escape(k) << " | " << md_escape(v) << " |\n";
  md << "\nCommand: `" << md_escape(s.command_line) << "`\n";
  return md.str();
}

}  // namespace apq
