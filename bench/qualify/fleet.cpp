#include "fleet.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "csv.h"

namespace apq {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    const double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return kNaN;
  const auto rx = average_ranks(x);
  const auto ry = average_ranks(y);
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / n;
  const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

std::string version_key(const std::string& banner) {
  const size_t sp = banner.find(' ');
  if (sp == std::string::npos || sp == 0) return "";
  size_t end = sp + 1;
  while (end < banner.size() && (std::isdigit(static_cast<unsigned char>(banner[end])) || banner[end] == '.')) ++end;
  if (end == sp + 1) return "";
  std::string v = banner.substr(sp + 1, end - sp - 1);
  while (!v.empty() && v.back() == '.') v.pop_back();
  return banner.substr(0, sp) + " " + v;
}

const std::vector<std::string>& fleet_classes() {
  static const std::vector<std::string> c = {"mimalloc 2.0.9", "mimalloc 2.1.7", "jemalloc 5.3.0", "glibc",
                                             "mimalloc 3.0.1"};
  return c;
}

int fleet_rank(const std::string& banner) {
  const std::string key = version_key(banner);
  if (key.rfind("glibc ", 0) == 0) return 4;
  const auto& c = fleet_classes();
  for (size_t i = 0; i < c.size(); ++i) {
    if (key == c[i]) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool hardened(const std::string& arm, const std::string& banner) {
  const size_t at = banner.find("secure level: ");
  if (at != std::string::npos && std::atoi(banner.c_str() + at + 14) > 0) return true;
  return arm.size() >= 7 && arm.compare(arm.size() - 7, 7, "-secure") == 0;
}

FleetAgreement fleet_agreement(const std::vector<ArmPoint>& points) {
  FleetAgreement a;
  std::vector<double> measured, fleet;
  std::vector<const ArmPoint*> used;
  for (const auto& p : points) {
    const int rank = fleet_rank(p.banner);
    if (!p.plain || hardened(p.arm, p.banner) || rank == 0 || std::isnan(p.steady_mb)) continue;
    used.push_back(&p);
    measured.push_back(p.steady_mb);
    fleet.push_back(rank);
    const std::string& cls = fleet_classes()[rank - 1];
    if (std::find(a.present.begin(), a.present.end(), cls) == a.present.end()) a.present.push_back(cls);
  }
  for (const auto& c : fleet_classes()) {
    if (std::find(a.present.begin(), a.present.end(), c) == a.present.end()) a.missing.push_back(c);
  }
  a.rho = spearman(measured, fleet);
  std::stable_sort(used.begin(), used.end(), [](const ArmPoint* x, const ArmPoint* y) { return x->steady_mb < y->steady_mb; });
  for (const auto* p : used) {
    a.arms.push_back(p->arm);
    a.measured_order += (a.measured_order.empty() ? "" : " < ") + p->arm + " (" + num(p->steady_mb, 1) + ")";
  }
  return a;
}

std::vector<SameVersion> same_version_groups(const std::vector<ArmPoint>& points) {
  std::map<std::string, std::vector<const ArmPoint*>> by;
  std::vector<std::string> order;
  for (const auto& p : points) {
    const std::string key = version_key(p.banner);
    if (!p.plain || hardened(p.arm, p.banner) || key.empty() || std::isnan(p.steady_mb)) continue;
    if (!by.count(key)) order.push_back(key);
    by[key].push_back(&p);
  }
  std::vector<SameVersion> out;
  for (const auto& key : order) {
    const auto& arms = by[key];
    if (arms.size() < 2) continue;
    SameVersion g;
    g.key = key;
    g.arms = arms;
    double lo = arms[0]->steady_mb, hi = lo;
    int min_runs = arms[0]->runs;
    for (const auto* p : arms) {
      lo = std::min(lo, p->steady_mb);
      hi = std::max(hi, p->steady_mb);
      g.noise_mb = std::max(g.noise_mb, p->max_mb - p->min_mb);
      min_runs = std::min(min_runs, p->runs);
    }
    g.difference_mb = hi - lo;
    if (min_runs < 2) {
      g.verdict = "cannot tell: an arm has one run, so there is no repeat spread to compare with";
    } else if (g.difference_mb <= g.noise_mb) {
      g.verdict = "agree within noise";
    } else {
      g.verdict = "differ by more than noise";
    }
    out.push_back(g);
  }
  return out;
}

}  // namespace apq
