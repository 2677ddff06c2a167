// How the measured ordering compares with the field: Spearman's rank
// correlation against the fleet's five-way table (1AEO, 200 relays, 9 days,
// ../shared/seeds/): mimalloc 2.0.9 < 2.1.7 < jemalloc 5.3.0 < glibc <
// mimalloc 3.0.1 in steady-state RSS per relay. And whether two builds of
// the same allocator version (allocpipe's and Debian's) agree within noise.
#pragma once

#include <string>
#include <vector>

#include "analysis.h"

namespace apq {

// Ranks 1..n, ties get the average of the ranks they span.
std::vector<double> average_ranks(const std::vector<double>& v);
// Spearman's rho: Pearson correlation of the average ranks. NaN for fewer
// than 2 points or when either side has no variation (all tied).
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// "mimalloc 2.0.9", "jemalloc 5.3.0", "glibc 2.36" from an allocator banner
// such as "mimalloc 2.0.9 (mi_version=209), secure level: 0"; "" if none.
std::string version_key(const std::string& banner);
// The fleet's rank of an allocator banner, 1 (smallest) .. 5; 0 when the
// fleet did not measure that allocator version. Any glibc counts as glibc
// (the fleet ran 2.41 and 2.39).
int fleet_rank(const std::string& banner);
const std::vector<std::string>& fleet_classes();  // in fleet order

// An arm as the comparison sees it. `plain` = no extra environment; hardened
// builds (see hardened()) are left out too: the fleet ran default builds.
struct ArmPoint {
  std::string arm;
  std::string banner;
  double steady_mb = 0;  // median over repeats
  double min_mb = 0, max_mb = 0;
  int runs = 0;
  bool plain = true;
};

struct FleetAgreement {
  double rho = 0;                    // NaN when not computable
  std::vector<std::string> arms;     // arms that took part
  std::vector<std::string> present;  // fleet classes among them
  std::vector<std::string> missing;  // fleet classes not measured here
  std::string measured_order;        // "a < b < c" by steady state
};
FleetAgreement fleet_agreement(const std::vector<ArmPoint>& points);

// Two or more plain arms whose allocators answer the same version.
struct SameVersion {
  std::string key;                 // "mimalloc 2.0.9"
  std::vector<const ArmPoint*> arms;
  double difference_mb = 0;        // largest - smallest median
  double noise_mb = 0;             // largest min-max spread of one arm over its repeats
  std::string verdict;             // "agree within noise" | "differ by more than noise" | "cannot tell: ..."
};
std::vector<SameVersion> same_version_groups(const std::vector<ArmPoint>& points);

// True for a banner reporting a mimalloc secure level above 0, or an arm
// named as a hardened build ("-secure" suffix, the superbuild's ids).
bool hardened(const std::string& arm, const std::string& banner);

}  // namespace apq
