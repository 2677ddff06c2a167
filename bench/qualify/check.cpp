#include "check.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "csv.h"
#include "fsutil.h"
#include "report.h"

namespace apq {
namespace {

using Table = std::vector<std::map<std::string, std::string>>;

Table load_table(const std::string& path, const std::vector<std::string>& columns, std::vector<std::string>& problems) {
  Table t;
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception& e) {
    problems.push_back(e.what());
    return t;
  }
  const auto rows = parse_csv(text);
  if (rows.empty() || rows[0] != columns) {
    problems.push_back(path + ": header is not the expected column list");
    return t;
  }
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].size() != columns.size()) {
      problems.push_back(path + ": row " + std::to_string(i + 1) + " has " + std::to_string(rows[i].size()) +
                         " fields, expected " + std::to_string(columns.size()));
      continue;
    }
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < columns.size(); ++c) row[columns[c]] = rows[i][c];
    t.push_back(std::move(row));
  }
  return t;
}

bool number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

}  // namespace

std::vector<std::string> check_report(const std::string& dir, const std::vector<std::string>& arms, bool want_png,
                                      bool emulated) {
  std::vector<std::string> problems;
  const Table runs = load_table(dir + "/runs.csv", runs_columns(), problems);
  const Table samples = load_table(dir + "/samples.csv", samples_columns(), problems);

  // Per-run sample checks: numbers present, live <= RSS over quiet windows.
  std::map<std::string, std::vector<double>> quiet_live, quiet_anon;
  std::map<std::string, size_t> count;
  for (const auto& s : samples) {
    const std::string key = s.at("arm") + " #" + s.at("repeat");
    double rss, anon, live, t;
    if (!number(s.at("rss_kb"), rss) || !number(s.at("anon_kb"), anon) || !number(s.at("live_bytes"), live) ||
        !number(s.at("t_s"), t)) {
      problems.push_back("samples.csv: non-numeric sample in " + key);
      continue;
    }
    ++count[key];
    if (s.at("phase") == "quiet") {
      quiet_live[key].push_back(live / 1024.0);
      quiet_anon[key].push_back(anon);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? NAN : v[v.size() / 2];
  };

  for (const auto& arm : arms) {
    int good = 0;
    for (const auto& r : runs) {
      if (r.at("arm") != arm) continue;
      const std::string key = arm + " #" + r.at("repeat");
      if (!r.at("error").empty()) {
        problems.push_back("runs.csv: " + key + " failed: " + r.at("error"));
        continue;
      }
      bool ok = true;
      for (const char* col : {"steady_anon_mb", "slope_mb_per_h", "peak_rss_mb", "peak_live_mb", "rss_per_live",
                              "ops_per_s", "cpu_s"}) {
        double v;
        if (!number(r.at(col), v)) {
          problems.push_back("runs.csv: " + key + " has no number for " + col);
          ok = false;
        } else if (std::string(col) != "slope_mb_per_h" && v <= 0) {
          problems.push_back("runs.csv: " + key + " has " + col + "=" + r.at(col) + ", expected > 0");
          ok = false;
        }
      }
      if (r.at("banner").empty() || r.at("banner") == "unknown") {
        problems.push_back("runs.csv: " + key + " has no allocator banner");
        ok = false;
      }
      double peak_rss, peak_live;
      if (number(r.at("peak_rss_mb"), peak_rss) && number(r.at("peak_live_mb"), peak_live) && peak_live > peak_rss) {
        problems.push_back("runs.csv: " + key + " peak live " + r.at("peak_live_mb") + " MB exceeds peak RSS " +
                           r.at("peak_rss_mb") + " MB");
        ok = false;
      }
      if (count[key] < 10) {
        problems.push_back("samples.csv: " + key + " has " + std::to_string(count[key]) + " samples, expected >= 10");
        ok = false;
      }
      if (quiet_anon[key].empty()) {
        problems.push_back("samples.csv: " + key + " has no quiet-window samples");
        ok = false;
      } else if (median(quiet_live[key]) > median(quiet_anon[key])) {
        problems.push_back("samples.csv: " + key + " live bytes (" + num(median(quiet_live[key]) / 1024, 1) +
                           " MB) exceed anonymous RSS (" + num(median(quiet_anon[key]) / 1024, 1) +
                           " MB) in the quiet windows");
        ok = false;
      }
      good += ok ? 1 : 0;
    }
    if (good == 0) problems.push_back("no sane run for arm '" + arm + "'");
  }

  try {
    const std::string md = read_file(dir + "/summary.md");
    for (const auto& arm : arms) {
      const auto at = md.find("| " + arm + " | ");
      if (at == std::string::npos) {
        problems.push_back("summary.md: no results row for '" + arm + "'");
      } else if (md.find("n/a", at) < md.find('\n', at)) {
        problems.push_back("summary.md: results row for '" + arm + "' has n/a");
      }
    }
    for (const char* phrase : {kEmulatedRssMeaningful, kEmulatedSpeedNot}) {
      if (emulated && md.find(phrase) == std::string::npos) {
        problems.push_back(std::string("summary.md: an emulated run's report does not say ") + phrase);
      }
    }
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  try {
    const std::string svg = read_file(dir + "/chart.svg");
    if (svg.rfind("<svg", 0) != 0 || svg.find("</svg>") == std::string::npos) {
      problems.push_back("chart.svg: not a complete SVG document");
    }
    for (const auto& arm : arms) {
      if (svg.find("data-arm=\"" + arm + "\"") == std::string::npos) {
        problems.push_back("chart.svg: no line for '" + arm + "'");
      }
    }
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  if (want_png) {
    try {
      const std::string png = read_file(dir + "/chart.png");
      if (png.size() < 1000 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
        problems.push_back("chart.png: not a PNG image of plausible size");
      }
    } catch (const std::exception& e) {
      problems.push_back(e.what());
    }
  }
  return problems;
}

}  // namespace apq
