#include "report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "analysis.h"
#include "csv.h"
#include "svg.h"

namespace allocpipe::host::experiment {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMB = 1024.0 * 1024.0;

using apq::num;

double median_spacing(const std::map<std::string, std::vector<const SampleRow*>>& by_unit) {
  std::vector<double> gaps;
  for (const auto& [key, rows] : by_unit)
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const double g = rows[i]->epoch() - rows[i - 1]->epoch();
      if (g > 0) gaps.push_back(g);
    }
  const double m = apq::median(gaps);
  return std::isnan(m) ? 1.0 : m;
}

UnitResult unit_result(const std::vector<const SampleRow*>& rows, double t0, double interval, int cycles) {
  UnitResult u;
  const SampleRow& first = *rows.front();
  u.host = first.host;
  u.unit = first.unit;
  u.arm = first.arm;
  u.library = first.library;
  std::vector<apq::CycleValue> rss, anon, maps;
  std::uint32_t last_pid = 0;
  std::string last_boot = first.boot_id;
  for (const SampleRow* r : rows) {
    ++u.samples;
    if (r->boot_id != last_boot) {
      ++u.reboots;
      last_boot = r->boot_id;
      last_pid = 0;
    }
    if (r->main_pid != 0) {
      if (last_pid != 0 && r->main_pid != last_pid) ++u.restarts;
      last_pid = r->main_pid;
    }
    if (!r->valid || !r->rss_bytes) {
      ++u.invalid;
      if (u.first_invalid_note.empty()) u.first_invalid_note = r->time + ": " + (r->note.empty() ? "invalid" : r->note);
      continue;
    }
    const double t = r->epoch();
    const int cycle = static_cast<int>(std::llround((t - t0) / interval));
    const double day = (t - t0) / 86400.0;
    rss.push_back({cycle, day, static_cast<double>(*r->rss_bytes) / kMB});
    if (r->anonymous_bytes) anon.push_back({cycle, day, static_cast<double>(*r->anonymous_bytes) / kMB});
    if (r->mappings) maps.push_back({cycle, day, static_cast<double>(*r->mappings)});
  }
  u.vanished = rows.back()->state == "not-found";
  const apq::SteadyState s = apq::steady_state(rss, cycles);
  u.steady_rss_mb = s.level;
  u.slope_mb_per_day = s.slope;
  u.steady_anon_mb = apq::steady_state(anon, cycles).level;
  u.mappings = apq::steady_state(maps, cycles).level;
  return u;
}

}  // namespace

Report compute_report(const std::string& name, const std::vector<SampleRow>& rows, std::vector<Arm> arms,
                      double interval_seconds) {
  Report rep;
  rep.name = name;
  rep.samples = rows.size();
  std::map<std::string, std::vector<const SampleRow*>> by_unit;  // host/unit, in time order
  std::set<std::string> hosts, appeared;
  rep.t0 = std::numeric_limits<double>::infinity();
  rep.t_end = -std::numeric_limits<double>::infinity();
  for (const SampleRow& r : rows) {
    hosts.insert(r.host);
    const double t = r.epoch();
    rep.t0 = std::min(rep.t0, t);
    rep.t_end = std::max(rep.t_end, t);
    if (r.arm.empty()) {
      appeared.insert(r.host + "/" + r.unit);
      continue;
    }
    by_unit[r.host + "/" + r.unit].push_back(&r);
    bool known = false;
    for (const Arm& a : arms) known = known || a.label == r.arm;
    if (!known) arms.push_back({r.arm, r.library == "glibc" ? "" : r.library});
  }
  if (rows.empty()) rep.t0 = rep.t_end = 0;
  for (auto& [key, v] : by_unit)
    std::stable_sort(v.begin(), v.end(), [](const SampleRow* a, const SampleRow* b) { return a->epoch() < b->epoch(); });
  rep.hosts.assign(hosts.begin(), hosts.end());
  rep.appeared.assign(appeared.begin(), appeared.end());
  rep.interval_seconds = interval_seconds > 0 ? interval_seconds : median_spacing(by_unit);
  rep.cycles = rows.empty() ? 0 : static_cast<int>(std::llround((rep.t_end - rep.t0) / rep.interval_seconds)) + 1;

  for (const Arm& a : arms) {
    ArmResult ar;
    ar.arm = a;
    std::vector<double> rss, slope, anon, maps;
    for (const auto& [key, v] : by_unit) {
      if (v.front()->arm != a.label) continue;
      UnitResult u = unit_result(v, rep.t0, rep.interval_seconds, rep.cycles);
      ++ar.units;
      ar.samples += u.samples;
      ar.invalid += u.invalid;
      ar.restarts += u.restarts;
      ar.reboots += u.reboots;
      ar.vanished += u.vanished ? 1 : 0;
      if (!std::isnan(u.steady_rss_mb)) {
        ++ar.measured;
        rss.push_back(u.steady_rss_mb);
        slope.push_back(u.slope_mb_per_day);
        anon.push_back(u.steady_anon_mb);
        maps.push_back(u.mappings);
      }
      rep.units.push_back(std::move(u));
    }
    ar.rss_median = apq::median(rss);
    ar.rss_q1 = apq::quantile(rss, 0.25);
    ar.rss_q3 = apq::quantile(rss, 0.75);
    ar.slope_median = apq::median(slope);
    ar.slope_q1 = apq::quantile(slope, 0.25);
    ar.slope_q3 = apq::quantile(slope, 0.75);
    ar.anon_median = apq::median(anon);
    ar.mappings_median = apq::median(maps);
    rep.arms.push_back(ar);

    // The chart's series: per round, the arm's units' valid RSS.
    std::map<int, std::vector<double>> per_round;
    for (const auto& [key, v] : by_unit) {
      if (v.front()->arm != a.label) continue;
      for (const SampleRow* r : v)
        if (r->valid && r->rss_bytes)
          per_round[static_cast<int>(std::llround((r->epoch() - rep.t0) / rep.interval_seconds))].push_back(*r->rss_bytes / kMB);
    }
    std::vector<std::array<double, 4>> s;
    for (const auto& [round, v] : per_round)
      s.push_back({round * rep.interval_seconds / 3600.0, apq::quantile(v, 0.25), apq::median(v), apq::quantile(v, 0.75)});
    rep.series.push_back(std::move(s));
  }
  return rep;
}

namespace {

std::string iqr(double q1, double q3, int decimals) {
  if (std::isnan(q1) || std::isnan(q3)) return "";
  return num(q1, decimals) + "-" + num(q3, decimals);
}

std::string or_dash(const std::string& s) { return s.empty() ? "n/a" : s; }

}  // namespace

std::string report_markdown(const Report& r, const std::vector<std::string>& gate_lines, const std::string& chart) {
  std::ostringstream o;
  const double days = (r.t_end - r.t0) / 86400.0;
  std::string hosts;
  for (const std::string& h : r.hosts) hosts += (hosts.empty() ? "" : ", ") + h;
  o << "# Experiment " << r.name << "\n\n";
  o << "Hosts: " << (hosts.empty() ? "none" : hosts) << ". " << r.samples << " samples from " << format_time(r.t0) << " to "
    << format_time(r.t_end) << " (" << num(days, 3) << " days, " << num(days * 24, 2) << " h), every "
    << num(r.interval_seconds, 0) << " s: " << r.cycles << " rounds.\n\n";
  o << "Steady-state RSS: per unit, the median of its valid samples in the last 30% of the rounds; growth: the "
       "least-squares slope of its per-round RSS over the last half of the rounds, per day (the definitions of "
       "allocpipe-qualify). Arms: median and inter-quartile range (IQR) across units. Invalid samples (unit not "
       "running, or mapping a library other than its arm's) are counted, never used.\n\n";
  o << "| arm | library | units measured / sampled | steady RSS MB (median) | IQR | growth MB/day (median) | IQR | "
       "restarts | reboots seen | vanished | mappings (median) | samples valid / all |\n";
  o << "|---|---|---|---:|---|---:|---|---:|---:|---:|---:|---|\n";
  for (const ArmResult& a : r.arms) {
    o << "| " << a.arm.label << " | " << a.arm.library() << " | " << a.measured << " / " << a.units << " | "
      << or_dash(num(a.rss_median, 1)) << " | " << or_dash(iqr(a.rss_q1, a.rss_q3, 1)) << " | "
      << or_dash(num(a.slope_median, 1)) << " | " << or_dash(iqr(a.slope_q1, a.slope_q3, 1)) << " | " << a.restarts
      << " | " << a.reboots << " | " << a.vanished << " | " << or_dash(num(a.mappings_median, 0)) << " | "
      << (a.samples - a.invalid) << " / " << a.samples << " |\n";
  }
  o << "\n![RSS over time per arm and distribution at the end](" << chart << ")\n";
  auto list = [&](const std::string& title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    o << "\n" << title << ":\n";
    for (const std::string& i : items) o << "- " << i << "\n";
  };
  std::vector<std::string> events, unmeasured;
  for (const UnitResult& u : r.units) {
    std::string what;
    if (u.restarts) what += std::to_string(u.restarts) + " restart(s)";
    if (u.reboots) what += std::string(what.empty() ? "" : ", ") + std::to_string(u.reboots) + " reboot(s)";
    if (u.vanished) what += std::string(what.empty() ? "" : ", ") + "vanished";
    if (u.invalid)
      what += std::string(what.empty() ? "" : ", ") + std::to_string(u.invalid) + " of " + std::to_string(u.samples) +
              " samples invalid (first " + u.first_invalid_note + ")";
    if (!what.empty()) events.push_back(u.host + " " + u.unit + " (" + u.arm + "): " + what);
    if (std::isnan(u.steady_rss_mb))
      unmeasured.push_back(u.host + " " + u.unit + " (" + u.arm + "): no valid sample in the steady-state window");
  }
  list("Units left out at the start (their rollout failed)", r.left_out);
  list("Units not measured (not in the arm's figures)", unmeasured);
  list("Events per unit", events);
  list("Units that appeared during the experiment (matching its patterns, in no arm, not counted)", r.appeared);
  if (!gate_lines.empty()) list("Gate", gate_lines);
  return o.str();
}

std::string arms_csv(const Report& r) {
  std::string out = apq::csv_row({"arm", "library", "units", "measured", "steady_rss_mb_median", "steady_rss_mb_q1",
                                  "steady_rss_mb_q3", "growth_mb_per_day_median", "growth_mb_per_day_q1",
                                  "growth_mb_per_day_q3", "steady_anon_mb_median", "restarts", "reboots", "vanished",
                                  "mappings_median", "samples", "invalid_samples"});
  for (const ArmResult& a : r.arms)
    out += apq::csv_row({a.arm.label, a.arm.library(), std::to_string(a.units), std::to_string(a.measured),
                         num(a.rss_median, 3), num(a.rss_q1, 3), num(a.rss_q3, 3), num(a.slope_median, 3),
                         num(a.slope_q1, 3), num(a.slope_q3, 3), num(a.anon_median, 3), std::to_string(a.restarts),
                         std::to_string(a.reboots), std::to_string(a.vanished), num(a.mappings_median, 1),
                         std::to_string(a.samples), std::to_string(a.invalid)});
  return out;
}

std::string units_csv(const Report& r) {
  std::string out = apq::csv_row({"host", "unit", "arm", "library", "samples", "invalid_samples", "steady_rss_mb",
                                  "steady_anon_mb", "growth_mb_per_day", "mappings", "restarts", "reboots", "vanished"});
  for (const UnitResult& u : r.units)
    out += apq::csv_row({u.host, u.unit, u.arm, u.library, std::to_string(u.samples), std::to_string(u.invalid),
                         num(u.steady_rss_mb, 3), num(u.steady_anon_mb, 3), num(u.slope_mb_per_day, 3),
                         num(u.mappings, 1), std::to_string(u.restarts), std::to_string(u.reboots),
                         u.vanished ? "1" : "0"});
  return out;
}

std::string report_svg(const Report& r) {
  constexpr double W = 1100, H = 520, left = 70, top = 50, bottom = 60, ts_w = 640, gap = 70, dist_w = 300;
  const double ph = H - top - bottom;
  double max_h = 0, max_mb = 1;
  for (const auto& s : r.series)
    for (const auto& p : s) {
      max_h = std::max(max_h, p[0]);
      max_mb = std::max(max_mb, p[3]);
    }
  for (const UnitResult& u : r.units)
    if (!std::isnan(u.steady_rss_mb)) max_mb = std::max(max_mb, u.steady_rss_mb);
  // Minutes for a test run, hours for a short experiment, days for a long one.
  const double per_h = max_h >= 48 ? 1.0 / 24 : max_h < 2 ? 60.0 : 1.0;
  const char* unit_name = max_h >= 48 ? "days" : max_h < 2 ? "minutes" : "hours";
  const double x_max_unit = std::max(max_h * per_h, 1e-3);
  const double ystep = apq::nice_step(max_mb, 6);
  const double ymax = std::ceil(max_mb * 1.05 / ystep) * ystep;
  const double xstep = apq::nice_step(x_max_unit, 8);
  auto X = [&](double h) { return left + h * per_h / x_max_unit * ts_w; };
  auto Y = [&](double mb) { return top + ph - mb / ymax * ph; };

  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H << "\" viewBox=\"0 0 " << W << " "
    << H << "\" font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"12\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << left << "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">"
    << apq::xml_escape("Experiment " + r.name + ": RSS per arm (median, IQR band) and steady state per unit") << "</text>\n";
  // Grid, shared y axis.
  for (double v = 0; v <= ymax + 1e-9; v += ystep) {
    o << "<line x1=\"" << left << "\" x2=\"" << left + ts_w + gap + dist_w << "\" y1=\"" << Y(v) << "\" y2=\"" << Y(v)
      << "\" stroke=\"#cccccc\" stroke-width=\"0.5\"/>\n";
    o << "<text x=\"" << left - 6 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">" << num(v, ystep < 1 ? 1 : 0)
      << "</text>\n";
  }
  for (double h = 0; h <= x_max_unit + 1e-9; h += xstep) {
    const double x = left + h / x_max_unit * ts_w;
    o << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << top + ph << "\" y2=\"" << top + ph + 5
      << "\" stroke=\"black\"/>\n";
    o << "<text x=\"" << x << "\" y=\"" << top + ph + 18 << "\" text-anchor=\"middle\">" << num(h, xstep < 1 ? 2 : 0)
      << "</text>\n";
  }
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << ts_w << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  o << "<text x=\"" << left + ts_w / 2 << "\" y=\"" << H - 18 << "\" text-anchor=\"middle\">" << unit_name
    << " since the first sample</text>\n";
  o << "<text transform=\"translate(18," << top + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">RSS (MB)</text>\n";
  // Time series: band then median line, per arm.
  for (std::size_t ai = 0; ai < r.arms.size(); ++ai) {
    const auto& s = r.series[ai];
    if (s.empty()) continue;
    const char* color = apq::arm_color(ai);
    o << "<polygon data-arm=\"" << apq::xml_escape(r.arms[ai].arm.label) << "\" fill=\"" << color
      << "\" fill-opacity=\"0.18\" stroke=\"none\" points=\"";
    for (const auto& p : s) o << X(p[0]) << "," << Y(p[3]) << " ";
    for (auto it = s.rbegin(); it != s.rend(); ++it) o << X((*it)[0]) << "," << Y((*it)[1]) << " ";
    o << "\"/>\n";
    o << "<polyline data-arm=\"" << apq::xml_escape(r.arms[ai].arm.label) << "\" fill=\"none\" stroke=\"" << color
      << "\" stroke-width=\"1.8\" points=\"";
    for (const auto& p : s) o << X(p[0]) << "," << Y(p[2]) << " ";
    o << "\"/>\n";
  }
  // Distribution at the end: IQR box, median bar, one dot per unit.
  const double dx0 = left + ts_w + gap;
  o << "<rect x=\"" << dx0 << "\" y=\"" << top << "\" width=\"" << dist_w << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  o << "<text x=\"" << dx0 + dist_w / 2 << "\" y=\"" << H - 18 << "\" text-anchor=\"middle\">steady-state RSS per unit</text>\n";
  const double slot = r.arms.empty() ? dist_w : dist_w / static_cast<double>(r.arms.size());
  for (std::size_t ai = 0; ai < r.arms.size(); ++ai) {
    const ArmResult& a = r.arms[ai];
    const char* color = apq::arm_color(ai);
    const double cx = dx0 + slot * (ai + 0.5);
    if (!std::isnan(a.rss_q1)) {
      o << "<rect data-arm=\"" << apq::xml_escape(a.arm.label) << "\" x=\"" << cx - slot * 0.3 << "\" y=\"" << Y(a.rss_q3)
        << "\" width=\"" << slot * 0.6 << "\" height=\"" << std::max(1.0, Y(a.rss_q1) - Y(a.rss_q3)) << "\" fill=\"" << color
        << "\" fill-opacity=\"0.18\" stroke=\"" << color << "\"/>\n";
      o << "<line x1=\"" << cx - slot * 0.3 << "\" x2=\"" << cx + slot * 0.3 << "\" y1=\"" << Y(a.rss_median) << "\" y2=\""
        << Y(a.rss_median) << "\" stroke=\"" << color << "\" stroke-width=\"2.5\"/>\n";
    }
    std::size_t k = 0;
    for (const UnitResult& u : r.units) {
      if (u.arm != a.arm.label || std::isnan(u.steady_rss_mb)) continue;
      const double jitter = ((k++ % 5) - 2.0) * slot * 0.06;
      o << "<circle cx=\"" << cx + jitter << "\" cy=\"" << Y(u.steady_rss_mb) << "\" r=\"3\" fill=\"" << color << "\"/>\n";
    }
    o << "<text x=\"" << cx << "\" y=\"" << top + ph + 18 << "\" text-anchor=\"middle\">" << apq::xml_escape(a.arm.label)
      << "</text>\n";
    // Legend above the time series.
    const double lx = left + 10 + ai * 210.0;
    o << "<line x1=\"" << lx << "\" x2=\"" << lx + 22 << "\" y1=\"" << top + 14 << "\" y2=\"" << top + 14 << "\" stroke=\""
      << color << "\" stroke-width=\"3\"/>\n";
    o << "<text x=\"" << lx + 28 << "\" y=\"" << top + 18 << "\">" << apq::xml_escape(a.arm.label) << " ("
      << apq::xml_escape(a.arm.library()) << ")</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace allocpipe::host::experiment
