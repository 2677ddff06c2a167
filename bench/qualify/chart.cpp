#include "chart.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <stdexcept>

#include "child.h"
#include "csv.h"
#include "fsutil.h"
#include "svg.h"

namespace apq {
namespace {

constexpr double kW = 960;
constexpr double kH = 540;
constexpr double kLeft = 70;
constexpr double kRight = 250;  // legend column
constexpr double kTop = 50;
constexpr double kBottom = 60;

// (sim hour, RSS MB) averaged into at most `buckets` points.
std::vector<std::pair<double, double>> series(const RunRecord& r, double max_h, int buckets) {
  std::map<int, std::pair<double, int>> acc;
  for (const auto& s : r.samples) {
    if (s.phase != "busy" && s.phase != "quiet") continue;
    const int b = std::min(buckets - 1, static_cast<int>(std::min(s.sim_h, max_h) / max_h * buckets));
    auto& a = acc[b];
    a.first += s.mem.rss_kb / 1024.0;
    ++a.second;
  }
  std::vector<std::pair<double, double>> out;
  for (const auto& [b, a] : acc) out.emplace_back((b + 0.5) * max_h / buckets, a.first / a.second);
  return out;
}

}  // namespace

std::string chart_svg(const Session& s) {
  double max_h = 1;
  double max_mb = 1;
  double quiet_fraction = 0.15;
  double configured_h = 0;  // the workload's --hours, from its C line
  for (const auto& r : s.runs) {
    if (r.config.count("quiet_fraction")) quiet_fraction = std::strtod(r.config.at("quiet_fraction").c_str(), nullptr);
    if (r.config.count("hours")) configured_h = std::max(configured_h, std::strtod(r.config.at("hours").c_str(), nullptr));
    for (const auto& x : r.samples) {
      if (x.phase != "busy" && x.phase != "quiet") continue;
      max_h = std::max(max_h, x.sim_h);
      max_mb = std::max(max_mb, x.mem.rss_kb / 1024.0);
    }
  }
  max_h = configured_h > 0 ? configured_h : std::ceil(max_h);
  const double ystep = nice_step(max_mb, 6);
  const double ymax = std::ceil(max_mb * 1.05 / ystep) * ystep;
  const double xstep = std::max(1.0, nice_step(max_h, 8));
  const double pw = kW - kLeft - kRight;
  const double ph = kH - kTop - kBottom;
  auto X = [&](double h) { return kLeft + h / max_h * pw; };
  auto Y = [&](double mb) { return kTop + ph - mb / ymax * ph; };

  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kW << "\" height=\"" << kH << "\" viewBox=\"0 0 "
    << kW << " " << kH << "\" font-family=\"DejaVu Sans, Verdana, sans-serif\" font-size=\"12\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::string title = "RSS over simulated time (" + s.profile + " profile)";
  if (!s.config.title.empty()) title = s.config.title;
  o << "<text x=\"" << kLeft << "\" y=\"28\" font-size=\"16\" font-weight=\"bold\">" << xml_escape(title)
    << "</text>\n";
  // Quiet windows (where the steady state is measured).
  for (int h = 0; h < static_cast<int>(max_h); ++h) {
    const double x0 = X(h + 1 - quiet_fraction);
    o << "<rect x=\"" << x0 << "\" y=\"" << kTop << "\" width=\"" << X(h + 1) - x0 << "\" height=\"" << ph
      << "\" fill=\"#eeeeee\"/>\n";
  }
  // Grid and axes.
  for (double v = 0; v <= ymax + 1e-9; v += ystep) {
    o << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + pw << "\" y1=\"" << Y(v) << "\" y2=\"" << Y(v)
      << "\" stroke=\"#cccccc\" stroke-width=\"0.5\"/>\n";
    o << "<text x=\"" << kLeft - 6 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">" << num(v, ystep < 1 ? 1 : 0)
      << "</text>\n";
  }
  for (double h = 0; h <= max_h + 1e-9; h += xstep) {
    o << "<line x1=\"" << X(h) << "\" x2=\"" << X(h) << "\" y1=\"" << kTop + ph << "\" y2=\"" << kTop + ph + 5
      << "\" stroke=\"black\"/>\n";
    o << "<text x=\"" << X(h) << "\" y=\"" << kTop + ph + 18 << "\" text-anchor=\"middle\">" << num(h, 0)
      << "</text>\n";
  }
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  o << "<text x=\"" << kLeft + pw / 2 << "\" y=\"" << kH - 18 << "\" text-anchor=\"middle\">simulated hours "
    << "(grey: quiet windows)</text>\n";
  o << "<text transform=\"translate(18," << kTop + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">RSS (MB)</text>\n";

  // Lines, one colour per arm.
  const int buckets = 400;
  for (size_t ai = 0; ai < s.summaries.size(); ++ai) {
    const ArmSummary& a = s.summaries[ai];
    const char* color = arm_color(ai);
    // The repeat whose steady state is closest to the arm's median is drawn solid.
    int solid = -1;
    double best = INFINITY;
    for (size_t i = 0; i < s.runs.size(); ++i) {
      if (s.runs[i].arm != a.arm) continue;
      double d = std::fabs(s.metrics[i].steady_anon_mb - a.steady_anon_mb.median);
      if (std::isnan(d)) d = INFINITY;
      if (solid < 0 || d < best) {
        solid = static_cast<int>(i);
        best = d;
      }
    }
    for (size_t i = 0; i < s.runs.size(); ++i) {
      if (s.runs[i].arm != a.arm) continue;
      const auto pts = series(s.runs[i], max_h, buckets);
      if (pts.empty()) continue;
      const bool main_line = static_cast<int>(i) == solid;
      o << "<polyline data-arm=\"" << xml_escape(a.arm) << "\" fill=\"none\" stroke=\"" << color
        << "\" stroke-width=\"" << (main_line ? 1.8 : 0.8) << "\" stroke-opacity=\"" << (main_line ? 1.0 : 0.45)
        << "\" points=\"";
      for (const auto& [h, mb] : pts) o << X(h) << "," << Y(mb) << " ";
      o << "\"/>\n";
    }
    const double ly = kTop + 10 + ai * 36.0;
    const double lx = kLeft + pw + 16;
    o << "<line x1=\"" << lx << "\" x2=\"" << lx + 22 << "\" y1=\"" << ly << "\" y2=\"" << ly << "\" stroke=\""
      << color << "\" stroke-width=\"3\"/>\n";
    o << "<text x=\"" << lx + 28 << "\" y=\"" << ly + 4 << "\">" << xml_escape(a.arm.size() > 30 ? a.arm.substr(0, 29) + "…" : a.arm)
      << "</text>\n";
    o << "<text x=\"" << lx + 28 << "\" y=\"" << ly + 19 << "\" font-size=\"10\" fill=\"#555555\">steady "
      << num(a.steady_anon_mb.median, 0) << " MB, slope " << num(a.slope_mb_per_h.median, 2) << " MB/h</text>\n";
  }
  o << "</svg>\n";
  return o.str();
}

std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string full = dir + "/" + name;
    if (::access(full.c_str(), X_OK) == 0) return full;
  }
  return "";
}

void svg_to_png(const std::string& svg_path, const std::string& png_path, const std::string& log_path) {
  const std::string tool = find_in_path("rsvg-convert");
  if (tool.empty()) {
    throw std::runtime_error(
        "rsvg-convert not found in PATH: install the Debian package librsvg2-bin, or pass --no-png");
  }
  const std::string tmp = temp_name(png_path);
  ExitInfo info;
  {
    Child child({tool, "--format=png", "--background-color=white", "--output=" + tmp, svg_path}, "", {}, log_path);
    child.close_stdout();
    info = child.wait();
  }
  if (!info.exited_ok() || !file_exists(tmp)) {
    std::remove(tmp.c_str());
    throw std::runtime_error("rsvg-convert failed (" + info.describe() + "), see " + log_path);
  }
  rename_into_place(tmp, png_path);
}

}  // namespace apq
